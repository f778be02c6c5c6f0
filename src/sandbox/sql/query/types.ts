import type { CatalogColumn, CatalogView, Row, ViewContext } from '../catalog/index.js'
import type { SqlType } from '../tds/index.js'

export interface ValueType {
  type: SqlType
  precision?: number
  scale?: number
}

/** One FROM item as the binder sees it: the alias it answers to and the columns its view has on this version. */
export interface Source {
  alias: string
  /** The name as written, for 4104 messages. */
  written: string
  view: CatalogView
  columns: CatalogColumn[]
}

/** The current row of each source, in FROM order; null where an outer join or APPLY found nothing. */
export type Tuple = (Row | null)[]

/** What a statement can read besides rows: the server, the login, the session and the bound parameters. */
export interface Env extends ViewContext {
  spid: number
  database: string
  tranCount: number
  variables: Map<string, unknown>
  loginName: string
  appName: string
}

export interface Compiled {
  type: ValueType
  evaluate(tuple: Tuple, env: Env): unknown
  /** Set on aggregates (COUNT, MIN, MAX, SUM): the value over every row of the group. */
  aggregate?(tuples: Tuple[], env: Env): unknown
}

/** What the binder knows while compiling: the sources in scope, the variables declared, the server's version. */
export interface Binder {
  sources: Source[]
  variables: Map<string, ValueType>
  major: number
  /** Column names a compiled expression referenced without an aggregate (for 8120). */
  bareColumns?: string[]
}
