/** SQL types a handler can put in a result set column. */
export type SqlType =
  | 'int'
  | 'bigint'
  | 'bit'
  | 'nvarchar'
  | 'varchar'
  | 'float'
  | 'decimal'
  | 'datetime2'
  | 'uniqueidentifier'
  | 'varbinary'
  | 'tinyint'
  | 'smallint'

export interface Column {
  name: string
  type: SqlType
  /** Reported to the client as the column's nullable flag; NULL values are accepted either way. Default true. */
  nullable?: boolean
  /** decimal only; default 18. */
  precision?: number
  /** decimal (default 0) and datetime2 (default 7). */
  scale?: number
}

/** Row values: number | bigint | string | boolean | Date | Buffer | null; decimal as string (exact) or number. */
export interface ResultSet {
  columns: Column[]
  rows: unknown[][]
}

export interface Reply {
  resultSets?: ResultSet[]
  /** Sent as one DONE row count after the result sets (mssql `rowsAffected`). */
  rowsAffected?: number
  /** INFO tokens (what PRINT produces), sent before the result sets. */
  infoMessages?: string[]
  /** Sent after the result sets: lets a reply fail part-way, as SQL Server does when a statement errors mid-batch. */
  error?: SqlServerError
  /** Output parameters of an RPC (sp_prepare's handle), sent as RETURNVALUE tokens. */
  returnValues?: { name: string; value: number }[]
}

/** An error SQL Server would send: becomes an ERROR token, so mssql sees `number`, `state` and `class`. */
export class SqlServerError extends Error {
  /** Errors SQL Server sends before this one in the same reply (RESTORE: 5133, 3156, 3119, then 3013). */
  preceding: SqlServerError[] = []
  constructor(
    public number: number,
    message: string,
    public state = 1,
    public severity = 16,
  ) {
    super(message)
    this.name = 'SqlServerError'
  }
}

export interface Session {
  /** The SPID, as SQL Server would report it in @@SPID. */
  id: number
  /** Whether TLS protects the session (sys.dm_exec_connections.encrypt_option). */
  encrypted: boolean
  /** The TDS version agreed at login, as LOGINACK carried it (0x74000004 = 7.4). */
  tdsVersion: number
  /** The client's address and port as the server saw them. */
  clientAddress: string
  clientPort: number
  user: string
  database: string
  appName: string
  serverName: string
}

export interface Parameter {
  /** Without the leading '@'. */
  name: string
  /** SQL type name read from the parameter's TYPE_INFO, e.g. 'int', 'nvarchar', 'decimal', 'datetime2'. */
  type: string
  /**
   * Decoded value: string (nvarchar, varchar, uniqueidentifier upper-case, and bigint/decimal as exact strings),
   * number, boolean, Date, Buffer or null.
   */
  value: unknown
}

export interface LoginRequest {
  user: string
  password: string
  database: string
  appName: string
  serverName: string
}

export interface TdsHandler {
  /** Called on LOGIN7; throw SqlServerError (e.g. 18456 "Login failed for user 'x'.") to refuse. */
  login(
    login: LoginRequest,
  ): Promise<{ serverName: string; database?: string }> | { serverName: string; database?: string }
  /** A SQL batch or an sp_executesql RPC. signal aborts on ATTENTION or when the client goes away. */
  execute(session: Session, sql: string, params: Parameter[], signal: AbortSignal): Promise<Reply>
}

export interface TdsServerOptions {
  host?: string
  port?: number
  handler: TdsHandler
  /** Called before each SQL batch or RPC; 'drop' destroys the socket after reading the request, before any reply. */
  fault?: (session: Session, sql: string) => 'drop' | undefined
  /** The server certificate: with it, PRELOGIN agrees on TLS (TDS 7.x) and TDS 8 strict clients are served. */
  tls?: { key: string; cert: string }
  /** Answer ENCRYPT_REQ to a client that did not ask for encryption (SQL Server's Force Encryption). */
  forceEncryption?: boolean
  /** The build PRELOGIN and LOGINACK report, e.g. '15.0.4385.2'. */
  productVersion?: string
}

export interface TdsServer {
  port: number
  host: string
  close(): Promise<void>
  /** Sessions that completed login and are still connected. */
  sessions(): Session[]
  /** Destroy every open client socket (simulates a network cut). */
  dropAll(): void
}
