import type { Instance, Login } from '../model.js'
import type { Session, SqlType } from '../tds/index.js'
import type { SqlWorld } from '../world.js'

/** SQL Server major versions the catalog knows: 13 = 2016 (SP2), 14 = 2017, 15 = 2019, 16 = 2022. */
export const SUPPORTED_MAJOR_VERSIONS = [13, 14, 15, 16] as const

export interface CatalogColumn {
  name: string
  type: SqlType
  precision?: number
  scale?: number
  /** The first major version that has the column (13 = 2016). */
  since: number
}

export type Row = Record<string, unknown>

export interface ViewContext {
  world: SqlWorld
  instance: Instance
  login: Login
  /** The session asking: what sys.dm_exec_connections shows of its own connection. */
  session?: Session
}

/** A system view, DMV or table-valued function as one SQL Server version documents it. */
export interface CatalogView {
  /** As Microsoft names it: sys.availability_groups, msdb.dbo.backupset. */
  name: string
  /** The Microsoft Learn page the columns were transcribed from. */
  doc: string
  columns: CatalogColumn[]
  /** Table-valued functions take arguments (sys.dm_os_volume_stats(database_id, file_id)). */
  arity?: number
  /** The first major version that has the view, when it is newer than 2012 (the seeding DMVs came with 2016). */
  since?: number
  /** The rows this instance would return, keyed by column name; absent keys are NULL. */
  rows(context: ViewContext, args: unknown[]): Row[]
}

const TYPES: Record<string, Pick<CatalogColumn, 'type' | 'precision' | 'scale'>> = {
  int: { type: 'int' },
  bigint: { type: 'bigint' },
  smallint: { type: 'smallint' },
  tinyint: { type: 'tinyint' },
  bit: { type: 'bit' },
  nvarchar: { type: 'nvarchar' },
  sysname: { type: 'nvarchar' },
  varchar: { type: 'varchar' },
  char: { type: 'varchar' },
  datetime: { type: 'datetime2', scale: 3 },
  datetime2: { type: 'datetime2' },
  datetimeoffset: { type: 'datetime2' },
  uniqueidentifier: { type: 'uniqueidentifier' },
  varbinary: { type: 'varbinary' },
  float: { type: 'float' },
  real: { type: 'float' },
  /** LSNs and sizes SQL Server declares numeric(25,0) / numeric(20,0). */
  numeric: { type: 'decimal', precision: 25, scale: 0 },
}

/**
 * Columns written as on Microsoft's page, one "name type" per line, with "@14" where the column first appears in a
 * later version than 2016 (e.g. `cluster_type_desc nvarchar(60) @14`).
 */
export function columns(spec: string): CatalogColumn[] {
  return spec
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [name = '', type = '', since] = line.split(/\s+/)
      const base = TYPES[type.replace(/\(.*$/, '').toLowerCase()]
      if (!base) throw new TypeError(`catalog: unknown type ${type} for ${name}`)
      return { name, ...base, since: since ? Number(since.slice(1)) : 13 }
    })
}

export const majorVersion = (instance: Instance): number => Number(instance.productVersion.split('.')[0])
