import type { Kysely } from 'kysely';
import type { Tables, UserRow } from './schema.js';

export interface UserRecord {
  readonly id: string;
  /** As entered, NFKC-normalised: what is shown. Sign-in compares the folded key instead. */
  readonly username: string;
  readonly email: string | null;
  readonly name: string | null;
  /** An argon2id PHC string (`$argon2id$…`), never the password. */
  readonly passwordHash: string;
  readonly createdAt: number;
}

export interface UserStore {
  /** Returns false, inserting nothing, when another user has the same username key. */
  insert(user: UserRecord & { readonly usernameKey: string }): Promise<boolean>;
  findById(id: string): Promise<UserRecord | null>;
  findByUsernameKey(usernameKey: string): Promise<UserRecord | null>;
  list(): Promise<UserRecord[]>;
}

export class SqlUserStore implements UserStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(user: UserRecord & { readonly usernameKey: string }): Promise<boolean> {
    try {
      await this.db
        .insertInto('users')
        .values({
          id: user.id,
          username: user.username,
          username_key: user.usernameKey,
          password_hash: user.passwordHash,
          email: user.email,
          name: user.name,
          created_at: user.createdAt,
        })
        .execute();
      return true;
    } catch (error) {
      // The id is 128 random bits: the unique column that can clash is the username key.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async findByUsernameKey(usernameKey: string): Promise<UserRecord | null> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username_key', '=', usernameKey)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .orderBy('created_at')
      .orderBy('username_key')
      .execute();
    return rows.map(fromRow);
  }
}

/** better-sqlite3 and pg report a unique-constraint violation with these codes. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

function fromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}
