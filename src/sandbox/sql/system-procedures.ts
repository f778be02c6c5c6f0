import { AGENT_PROCEDURES } from './agent-procedures.js'
import { LINKED_SERVER_PROCEDURES } from './linked-server-procedures.js'
import type { Instance, Login } from './model.js'
import { notAParameter, parameterMissing } from './server-object-errors.js'

/** What a system procedure receives: its named arguments (lower case, without @) and who calls it when. */
export interface ProcedureCall {
  instance: Instance
  caller: Login
  now: number
  args: ReadonlyMap<string, unknown>
  /** The argument, or SQL Server's 201 when it is required and missing (or NULL). */
  required(name: string): unknown
  text(name: string): string | null
  number(name: string, fallback: number): number
}

export interface SystemProcedure {
  /** Where it lives: msdb's procedures are found only as msdb.dbo.name or from a session in msdb. */
  database: 'master' | 'msdb'
  /** Every parameter it takes (lower case, without @); any other is 8145. */
  parameters: string[]
  /** Runs it; returns the value of its OUTPUT parameter, when it has one. */
  run(call: ProcedureCall): unknown
}

const PROCEDURES: Record<string, SystemProcedure> = { ...AGENT_PROCEDURES, ...LINKED_SERVER_PROCEDURES }

/** The system procedure a name refers to from a session in `database`, as SQL Server resolves sp_ names. */
export function findSystemProcedure(
  parts: string[],
  database: string,
): { name: string; procedure: SystemProcedure } | undefined {
  const lower = parts.map((p) => p.toLowerCase())
  const name = lower.at(-1) ?? ''
  const procedure = PROCEDURES[name]
  if (!procedure) return undefined
  const qualifier = lower.length === 3 ? lower[0] : database.toLowerCase()
  if (lower.length === 2 && lower[0] !== 'dbo' && lower[0] !== 'sys') return undefined
  // sp_ procedures of master are found from any database; msdb's only from msdb
  if (procedure.database === 'msdb' ? qualifier !== 'msdb' : lower.length === 3 && qualifier !== 'master')
    return undefined
  return { name, procedure }
}

/** Binds the named arguments and runs the procedure (201 for a missing one, 8145 for an unknown one). */
export function callSystemProcedure(
  found: { name: string; procedure: SystemProcedure },
  instance: Instance,
  caller: Login,
  now: number,
  args: ReadonlyMap<string, unknown>,
): unknown {
  for (const key of args.keys())
    if (!found.procedure.parameters.includes(key)) throw notAParameter(key, found.name)
  const value = (name: string) => args.get(name) ?? null
  const call: ProcedureCall = {
    instance,
    caller,
    now,
    args,
    required: (name) => {
      const v = value(name)
      if (v === null) throw parameterMissing(found.name, name)
      return v
    },
    text: (name) => {
      const v = value(name)
      return v === null ? null : String(v)
    },
    number: (name, fallback) => {
      const v = value(name)
      return v === null ? fallback : Number(v)
    },
  }
  return found.procedure.run(call)
}
