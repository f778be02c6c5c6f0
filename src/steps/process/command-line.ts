/** A command as exec and its rollback describe it: a program and its arguments, or a /bin/sh line. */
export interface CommandSpec {
  command: string
  args?: string[]
  shell?: boolean
  cwd?: string
  env?: Record<string, string>
  input?: string
}

const SAFE_WORD = /^[\w@%+=:,./-]+$/

/** Quotes one argument for /bin/sh so a displayed command line can be pasted back into a shell. */
export function quoteForShell(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg
  return `'${arg.replaceAll("'", `'\\''`)}'`
}

/** The command line as an operator reads it: a shell line as written, else program and quoted args. */
export function displayCommand(spec: CommandSpec): string {
  if (spec.shell) return spec.command
  return [spec.command, ...(spec.args ?? [])].map(quoteForShell).join(' ')
}
