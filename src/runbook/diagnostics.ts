/** A problem found in a runbook (or a params file), with where it is and what to do about it. */
export interface Diagnostic {
  /** A file, or a flag such as `--param zone` when the problem is on the command line. */
  file: string
  /** 1-based; absent for problems on the command line. */
  line?: number
  column?: number
  severity: 'error' | 'warning'
  message: string
  hint?: string
}

/** Maps a character offset in a source text to a 1-based line and column. */
export class SourceText {
  readonly lineStarts: number[] = [0]

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1)
  }

  position(offset: number): { line: number; column: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length))
    let low = 0
    let high = this.lineStarts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if ((this.lineStarts[mid] ?? 0) <= clamped) low = mid
      else high = mid - 1
    }
    return { line: low + 1, column: clamped - (this.lineStarts[low] ?? 0) + 1 }
  }
}

/** Collects every problem rather than stopping at the first: operators fix a runbook in one pass. */
export class Diagnostics {
  readonly items: Diagnostic[] = []

  add(d: Diagnostic): void {
    this.items.push(d)
  }

  error(source: SourceText, offset: number, message: string, hint?: string): void {
    this.at('error', source, offset, message, hint)
  }

  /** Worth knowing, but the runbook is valid: validate still exits 0. */
  warning(source: SourceText, offset: number, message: string, hint?: string): void {
    this.at('warning', source, offset, message, hint)
  }

  private at(
    severity: Diagnostic['severity'],
    source: SourceText,
    offset: number,
    message: string,
    hint?: string,
  ) {
    this.add({ file: source.file, ...source.position(offset), severity, message, ...(hint ? { hint } : {}) })
  }

  /** A problem on the command line: named by the flag, not a position. */
  flagError(flag: string, message: string, hint?: string): void {
    this.add({ file: flag, severity: 'error', message, ...(hint ? { hint } : {}) })
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error')
  }

  /** Sorted by position, duplicates (same place, same message) dropped. */
  sorted(): Diagnostic[] {
    const seen = new Set<string>()
    return [...this.items]
      .sort(
        (a, b) =>
          a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
      )
      .filter((d) => {
        const key = `${d.file}:${d.line}:${d.column}:${d.message}`
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === undefined ? d.file : `${d.file}:${d.line}:${d.column}`
  const head = `${where} ${d.severity}: ${d.message}`
  return d.hint ? `${head}\n  hint: ${d.hint}` : head
}
