import { ExpressionError, evaluate, type Scope, type TemplatePart, toText } from './expressions.js'

/** Where a value lands in a /bin/sh line: unquoted, inside '...', inside "...", or in a here-document. */
export type ShellContext = 'plain' | 'single' | 'double' | 'heredoc'

interface Frame {
  kind: 'plain' | 'single' | 'double' | 'backtick'
  /** A `$(` substitution, closed by `)`. */
  substitution?: boolean
}

/**
 * Follows /bin/sh quoting through the literal text of a line, so each `${{ }}` is quoted for the
 * context it sits in. Enough of the grammar for quoting: quotes, backslashes, `$(...)`, backticks,
 * comments; a here-document (`<<`) is reported, since a value inside one cannot be quoted.
 */
export function shellContexts(parts: readonly TemplatePart[]): ShellContext[] {
  const stack: Frame[] = [{ kind: 'plain' }]
  let heredoc = false
  const contexts: ShellContext[] = []
  for (const part of parts) {
    if ('expr' in part) {
      const top = stack.at(-1)?.kind ?? 'plain'
      contexts.push(heredoc ? 'heredoc' : top === 'backtick' ? 'plain' : top)
      continue
    }
    const text = part.text
    for (let i = 0; i < text.length; i++) {
      const c = text[i]
      const next = text[i + 1]
      const top = stack.at(-1) as Frame
      if (top.kind === 'single') {
        if (c === "'") stack.pop()
        continue
      }
      if (c === '\\') {
        i++
        continue
      }
      if (c === '$' && next === '(') {
        stack.push({ kind: 'plain', substitution: true })
        i++
        continue
      }
      if (c === '`') {
        if (top.kind === 'backtick') stack.pop()
        else stack.push({ kind: 'backtick' })
        continue
      }
      if (top.kind === 'double') {
        if (c === '"') stack.pop()
        continue
      }
      if (c === "'") stack.push({ kind: 'single' })
      else if (c === '"') stack.push({ kind: 'double' })
      else if (c === ')' && top.substitution) stack.pop()
      else if (c === '<' && next === '<') heredoc = true
      else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
        const end = text.indexOf('\n', i)
        i = end === -1 ? text.length : end
      }
    }
  }
  return contexts
}

/** A value written into a shell line so the shell reads it back exactly, whatever it holds. */
export function quoteForContext(value: string, context: Exclude<ShellContext, 'heredoc'>): string {
  if (context === 'single') return value.replaceAll("'", `'\\''`)
  if (context === 'double') return value.replace(/[\\"$`]/g, '\\$&')
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/**
 * Renders a shell command line: the text as written, each `${{ }}` value quoted for where it
 * stands, so a param like `$(touch x)` or `'; rm -rf /` arrives as data and never runs.
 */
export function renderShellTemplate(parts: readonly TemplatePart[], scope: Scope): string {
  const contexts = shellContexts(parts)
  let n = 0
  return parts
    .map((part) => {
      if (!('expr' in part)) return part.text
      const context = contexts[n++] ?? 'plain'
      if (context === 'heredoc')
        throw new ExpressionError(
          `\${{ ${part.source} }} is inside a here-document, where a value cannot be quoted`,
          part.offset,
          'pass it in env: and write "$NAME" in the command',
        )
      return quoteForContext(toText(evaluate(part.expr, scope)), context)
    })
    .join('')
}
