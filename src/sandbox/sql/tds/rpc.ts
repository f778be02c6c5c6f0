/** The special procedures clients call over RPC (MS-TDS 2.2.6.6), by id or by name, and the prepared handles. */
import type { Parameter } from './types.js'
import { SqlServerError } from './types.js'

const SPECIAL: Record<string, number> = {
  sp_executesql: 10,
  sp_prepare: 11,
  sp_execute: 12,
  sp_prepexec: 13,
  sp_unprepare: 15,
}

/** What an RPC asks the server to run: SQL with its parameters (or nothing), and output parameters to return. */
export interface ResolvedRpc {
  sql: string | undefined
  params: Parameter[]
  outputs: { name: string; value: number }[]
}

const named = (params: Parameter[], name: string, position: number) =>
  params.find((p) => p.name.toLowerCase() === name) ?? params[position]

const userParams = (params: Parameter[], skip: string[]) =>
  params.filter((p) => !skip.includes(p.name.toLowerCase()))

function text(param: Parameter | undefined, procedure: string, name: string): string {
  if (typeof param?.value !== 'string')
    throw new SqlServerError(
      201,
      `Procedure or function '${procedure}' expects parameter '@${name}', which was not supplied.`,
      4,
      16,
    )
  return param.value
}

/** One connection's prepared statements: sp_prepare hands out handles that sp_execute and sp_unprepare take back. */
export class PreparedStatements {
  private readonly statements = new Map<number, string>()
  private nextHandle = 1

  private statement(handle: unknown): string {
    const sql = this.statements.get(Number(handle))
    if (sql === undefined)
      throw new SqlServerError(
        8179,
        `Could not find prepared statement with handle ${String(handle)}.`,
        4,
        16,
      )
    return sql
  }

  private prepare(sql: string): number {
    const handle = this.nextHandle++
    this.statements.set(handle, sql)
    return handle
  }

  resolve(procedure: number | string, params: Parameter[]): ResolvedRpc {
    const id =
      typeof procedure === 'number' ? procedure : SPECIAL[procedure.toLowerCase().replace(/^sys\./, '')]
    switch (id) {
      case 10:
        return {
          sql: text(named(params, 'statement', 0), 'sp_executesql', 'statement'),
          params: userParams(params, ['statement', 'params']),
          outputs: [],
        }
      case 11: {
        const handle = this.prepare(text(named(params, 'stmt', 2), 'sp_prepare', 'stmt'))
        return { sql: undefined, params: [], outputs: [{ name: 'handle', value: handle }] }
      }
      case 12:
        return {
          sql: this.statement(named(params, 'handle', 0)?.value),
          params: userParams(params, ['handle']),
          outputs: [],
        }
      case 13: {
        const sql = text(named(params, 'stmt', 2), 'sp_prepexec', 'stmt')
        const handle = this.prepare(sql)
        return {
          sql,
          params: userParams(params, ['handle', 'params', 'stmt']),
          outputs: [{ name: 'handle', value: handle }],
        }
      }
      case 15:
        this.statements.delete(Number(named(params, 'handle', 0)?.value))
        return { sql: undefined, params: [], outputs: [] }
      default:
        if (typeof procedure === 'string') return { sql: `EXEC ${procedure}`, params, outputs: [] }
        throw new SqlServerError(2812, `Could not find stored procedure with id ${procedure}.`, 62, 16)
    }
  }
}
