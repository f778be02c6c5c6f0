/**
 * Lines that set each value as a variable before the script. A value travels as base64 (its
 * letters cannot close a quote), so no value can break out into the script, whatever it holds.
 */
export function scriptPrologue(document: string, values: Record<string, string> = {}): string[] {
  const shell = document === 'AWS-RunShellScript'
  return Object.entries(values).map(([name, value]) => (shell ? shellLine : powerShellLine)(name, value))
}

// UTF-16LE is what [Text.Encoding]::Unicode decodes: every character survives, not only ASCII.
const powerShellLine = (name: string, value: string) =>
  `$${name} = [Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('${Buffer.from(value, 'utf16le').toString('base64')}'))`

// `$(...)` drops trailing newlines; the x appended and removed after keeps them.
const shellLine = (name: string, value: string) =>
  `${name}="$(printf %s '${Buffer.from(value, 'utf8').toString('base64')}' | base64 -d; printf x)"; ${name}="\${${name}%x}"`
