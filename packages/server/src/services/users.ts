import { randomBytes } from 'node:crypto';
import type { UserRecord, UserStore } from '../store/user-store.js';
import { newIdentifier } from './identifiers.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { ValidationError } from './validation-error.js';

// Lone surrogates cannot be stored as UTF-8: the stored name would differ from the key.
const CONTROL = /[\p{Cc}\p{Cs}]/u;
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;

export interface CreateUserInput {
  username: string;
  password: string;
  email?: string;
  name?: string;
}

/**
 * The form of a username that sign-in and uniqueness compare: NFKC, then lower case, so
 * `Alice`, `alice` and `ａｌｉｃｅ` are one account.
 */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

/** End users' accounts: creation with its checks, lookup, and password sign-in. */
export class UserService {
  constructor(
    private readonly store: UserStore,
    private readonly now: () => number,
    /** How passwords are hashed and checked; tests count the work through it. */
    private readonly passwords: PasswordHasher = { hash: hashPassword, verify: verifyPassword },
  ) {}

  /** Creates an account; a username another account folds to is refused. */
  async create(input: CreateUserInput): Promise<UserRecord> {
    const username = input.username.normalize('NFKC');
    checkUsername(username);
    checkLength(input.password, 'password', 8, 1024);
    if (input.email !== undefined && (input.email.length > 254 || !EMAIL.test(input.email))) {
      throw new ValidationError('email must be an address such as name@example.com');
    }
    if (input.name !== undefined) {
      checkLength(input.name, 'name', 1, 200);
      if (CONTROL.test(input.name)) throw new ValidationError('name must not contain control characters');
    }
    const user: UserRecord = {
      id: newIdentifier('usr'),
      username,
      email: input.email ?? null,
      name: input.name ?? null,
      passwordHash: await this.passwords.hash(input.password),
      createdAt: this.now(),
    };
    if (!(await this.store.insert({ ...user, usernameKey: usernameKey(username) }))) {
      throw new ValidationError(`username ${JSON.stringify(username)} is taken`);
    }
    return user;
  }

  find(id: string): Promise<UserRecord | null> {
    return this.store.findById(id);
  }

  list(): Promise<UserRecord[]> {
    return this.store.list();
  }

  /**
   * The account whose username and password these are, or null. An unknown username costs
   * one argon2 verification too, so the time taken does not tell whether the account exists.
   */
  async authenticate(username: string, password: string): Promise<UserRecord | null> {
    // No username holds a NUL byte (creation refuses control characters), and PostgreSQL
    // would refuse to compare one: such a name is simply unknown.
    const user = username.includes('\u0000')
      ? null
      : await this.store.findByUsernameKey(usernameKey(username));
    if (user === null) {
      await this.passwords.verify(await this.dummyHash(), password);
      return null;
    }
    return (await this.passwords.verify(user.passwordHash, password)) ? user : null;
  }

  private dummy: Promise<string> | undefined;

  /** A hash no password is known to match, made once, with the parameters real hashes have. */
  private dummyHash(): Promise<string> {
    this.dummy ??= this.passwords.hash(randomBytes(32).toString('base64url'));
    return this.dummy;
  }
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

function checkUsername(username: string): void {
  checkLength(username, 'username', 1, 64);
  if (CONTROL.test(username)) throw new ValidationError('username must not contain control characters');
  if (username.trim() !== username) {
    throw new ValidationError('username must not begin or end with whitespace');
  }
}

/** Counts code points, not UTF-16 units. */
function checkLength(value: string, field: string, min: number, max: number): void {
  const length = [...value].length;
  if (length < min || length > max) throw new ValidationError(`${field} must be ${min} to ${max} characters`);
}
