/** The SQL databases Tessera runs on. */
export type Dialect = 'sqlite' | 'postgres';
