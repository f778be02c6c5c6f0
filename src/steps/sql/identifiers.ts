import * as z from 'zod/mini'

/**
 * Names that come from runbooks (availability groups, replicas, databases) end up inside
 * statements that cannot take parameters (ALTER AVAILABILITY GROUP, ALTER DATABASE ... SET HADR).
 * They are checked here and quoted as QUOTENAME does; values everywhere else go as parameters.
 */

/** Any C0 control character or DEL: never part of a name or a literal switchyard builds. */
const hasControl = (text: string) => [...text].some((c) => (c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f')

/** A sysname: 1-128 UTF-16 units, no control characters (QUOTENAME returns NULL past 128). */
export function checkSysname(name: string): string | undefined {
  if (name.length === 0) return 'a name cannot be empty'
  if (name.length > 128) return 'a SQL Server name is at most 128 characters'
  if (hasControl(name)) return 'a SQL Server name cannot hold control characters'
  return undefined
}

export const Sysname = z.string().check(
  z.refine((name) => checkSysname(name) === undefined || name.includes('${{'), {
    error: 'a SQL Server name is 1-128 characters without control characters',
  }),
)

/** `[name]`, with every `]` doubled: QUOTENAME's rule. Throws on a name QUOTENAME would refuse. */
export function quoteName(name: string): string {
  const problem = checkSysname(name)
  if (problem) throw new Error(`${problem}: ${JSON.stringify(name.slice(0, 40))}`)
  return `[${name.replaceAll(']', ']]')}]`
}

/** `N'text'`, with every quote doubled: for replica names, endpoint URLs and IPs in DDL. */
export function quoteLiteral(text: string): string {
  if (hasControl(text)) throw new Error(`a SQL Server literal cannot hold control characters`)
  return `N'${text.replaceAll("'", "''")}'`
}
