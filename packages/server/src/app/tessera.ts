import { DpopNonces, RevocationList } from '@tessera/core';
import { ApiKeyService } from '../services/api-keys.js';
import { ClientService } from '../services/clients.js';
import { ConsentService } from '../services/consents.js';
import { CsrfTokens } from '../services/csrf.js';
import { GrantService } from '../services/grants.js';
import { HmacCredentialService } from '../services/hmac-credentials.js';
import { deriveKey } from '../services/key-derivation.js';
import { loadMasterKey } from '../services/master-key.js';
import { SecretMinter } from '../services/minted-secret.js';
import { ResourceServerService } from '../services/resource-servers.js';
import { Revocations } from '../services/revocations.js';
import { SealedBox } from '../services/sealed-box.js';
import { SessionService } from '../services/sessions.js';
import { SigningKeyService } from '../services/signing-keys.js';
import { UserService } from '../services/users.js';
import { SqlApiKeyStore } from '../store/api-key-store.js';
import { SqlClientStore } from '../store/client-store.js';
import { SqlConsentStore } from '../store/consent-store.js';
import { type Database, type DatabaseLocation, openDatabase } from '../store/database.js';
import { SqlGrantStore } from '../store/grant-store.js';
import { SqlHmacCredentialStore } from '../store/hmac-credential-store.js';
import { SqlResourceServerStore } from '../store/resource-server-store.js';
import { SqlSessionStore } from '../store/session-store.js';
import { SqlSigningKeyStore } from '../store/signing-key-store.js';
import { SqlTokenStore } from '../store/token-store.js';
import { SqlUserStore } from '../store/user-store.js';

/** Access tokens live this long unless their client or API says otherwise. */
export const DEFAULT_ACCESS_TOKEN_TTL = 15 * 60;
/** No client or API may set a longer access-token lifetime. */
export const MAX_ACCESS_TOKEN_TTL = 24 * 3600;
/** How long verifiers may cache the JWKS, and so how far ahead a new key is published. */
export const JWKS_MAX_AGE = 5 * 60;

export interface TesseraOptions {
  readonly database: DatabaseLocation;
  readonly masterKey: { readonly fromEnv: string | undefined; readonly file: string };
  readonly now?: () => number;
}

/** The store and the services over it: what the server and every CLI command share. */
export interface Tessera {
  readonly database: Database;
  readonly now: () => number;
  readonly sealer: SealedBox;
  readonly minter: SecretMinter;
  readonly clients: ClientService;
  readonly resourceServers: ResourceServerService;
  readonly signingKeys: SigningKeyService;
  readonly apiKeys: ApiKeyService;
  readonly hmacCredentials: HmacCredentialService;
  readonly users: UserService;
  readonly sessions: SessionService;
  /** What users authorized clients to do: codes, refresh tokens, and revoking them. */
  readonly grants: GrantService;
  readonly consents: ConsentService;
  readonly csrf: CsrfTokens;
  /** Derives each refresh token's successor (see UserTokenIssuer). */
  readonly refreshSuccessorKey: Buffer;
  /** DPoP nonces every instance sharing the master key accepts. */
  readonly dpopNonces: DpopNonces;
  readonly tokens: SqlTokenStore;
  /** Records revocations and knows those in force; a running server keeps it in step with the store. */
  readonly revocations: Revocations;
  close(): Promise<void>;
}

const systemClock = () => Math.floor(Date.now() / 1000);

/**
 * Opens the database (migrating it), loads the master key and builds the services.
 *
 * @example const tessera = await openTessera({ database: { dialect: 'sqlite', path: '/tmp/t.db' }, masterKey: { fromEnv: undefined, file: '/tmp/master.key' } });
 */
export async function openTessera(options: TesseraOptions): Promise<Tessera> {
  const masterKey = loadMasterKey(options.masterKey);
  const now = options.now ?? systemClock;
  const database = await openDatabase(options.database);
  const sealer = new SealedBox(deriveKey(masterKey, 'seal'));
  const minter = new SecretMinter(deriveKey(masterKey, 'secret-mac'), deriveKey(masterKey, 'secret-hash'));
  const clientStore = new SqlClientStore(database.db);
  const resourceServerStore = new SqlResourceServerStore(database.db);
  const signingKeys = new SigningKeyService({
    store: new SqlSigningKeyStore(database.db),
    sealer,
    now,
    longestTokenLifetime: async () =>
      Math.max(
        DEFAULT_ACCESS_TOKEN_TTL,
        (await clientStore.longestAccessTokenTtl()) ?? 0,
        (await resourceServerStore.longestTokenTtl()) ?? 0,
      ),
  });
  await signingKeys.refresh();
  const tokens = new SqlTokenStore(database.db);
  const revocations = new Revocations(tokens, new RevocationList());
  const grants = new GrantService({
    store: new SqlGrantStore(database.db),
    revocations,
    minter,
    now,
    maxAccessTokenTtl: MAX_ACCESS_TOKEN_TTL,
  });
  return {
    database,
    now,
    sealer,
    minter,
    clients: new ClientService(clientStore, revocations, minter, now, MAX_ACCESS_TOKEN_TTL),
    resourceServers: new ResourceServerService(resourceServerStore, signingKeys, sealer, now),
    signingKeys,
    apiKeys: new ApiKeyService(new SqlApiKeyStore(database.db), revocations, minter, now),
    hmacCredentials: new HmacCredentialService(
      new SqlHmacCredentialStore(database.db),
      revocations,
      sealer,
      now,
    ),
    users: new UserService(new SqlUserStore(database.db), now),
    sessions: new SessionService(new SqlSessionStore(database.db), minter, now),
    grants,
    consents: new ConsentService(new SqlConsentStore(database.db), grants, now),
    csrf: new CsrfTokens(deriveKey(masterKey, 'csrf')),
    refreshSuccessorKey: deriveKey(masterKey, 'refresh-successor'),
    dpopNonces: new DpopNonces(deriveKey(masterKey, 'dpop-nonce')),
    tokens,
    revocations,
    close: () => database.close(),
  };
}
