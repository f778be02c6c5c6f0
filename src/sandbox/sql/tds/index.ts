/**
 * A generic TDS 7.4 server (wire protocol only, no SQL semantics) that the real `mssql`/`tedious` client talks to.
 * A TdsHandler supplies logins and replies. Plaintext only: clients must connect with `encrypt: false`.
 */
export { startTdsServer } from './server.js'
export type {
  Column,
  LoginRequest,
  Parameter,
  Reply,
  ResultSet,
  Session,
  SqlType,
  TdsHandler,
  TdsServer,
  TdsServerOptions,
} from './types.js'
export { SqlServerError } from './types.js'
