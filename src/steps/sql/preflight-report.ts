export type Verdict = 'pass' | 'warn' | 'fail'

export interface CheckResult {
  check: string
  /** The instance or database the check is about. */
  on: string
  status: Verdict
  detail: string
}

/** Collects results; `fail` is the default for anything that could not be read. */
export class Report {
  readonly results: CheckResult[] = []
  add(check: string, on: string, status: Verdict, detail: string) {
    this.results.push({ check, on, status, detail })
  }
  pass = (check: string, on: string, detail: string) => this.add(check, on, 'pass', detail)
  warn = (check: string, on: string, detail: string) => this.add(check, on, 'warn', detail)
  fail = (check: string, on: string, detail: string) => this.add(check, on, 'fail', detail)
  count = (status: Verdict) => this.results.filter((r) => r.status === status).length
}
