// The PowerShell that triggers replication on a DC (repadmin) or an Entra Connect server (ADSync), and
// the parsing of what it prints. The script prints one line `SWITCHYARD-AD {json}` and always exits 0:
// an exit code of 3010 would make SSM reboot the DC and run it again (ad-iis.md 1.6).

export const MARKER = '# switchyard:ad-sync v1'
export const RESULT_PREFIX = 'SWITCHYARD-AD '

/** How long the Entra script waits for the cycle it started to end, on the server. */
export const ENTRA_WAIT_SECONDS = 600

export function repadminScript(): string {
  return `${MARKER}
$ErrorActionPreference = 'Continue'
$out = [ordered]@{ method = 'repadmin' }
function Tail([string]$text, [int]$max) { if ($text.Length -gt $max) { $text.Substring($text.Length - $max) } else { $text } }
try {
  $sync = (& repadmin /syncall /AdeP 2>&1 | Out-String)
  $out.syncall_exit = $LASTEXITCODE
  $out.syncall = Tail $sync 3000
  $show = (& repadmin /showrepl * /csv 2>&1 | Out-String)
  $out.showrepl_exit = $LASTEXITCODE
  $out.showrepl = Tail $show 18000
} catch { $out.error = $_.Exception.Message }
Write-Output ('${RESULT_PREFIX}' + ($out | ConvertTo-Json -Compress -Depth 5))
exit 0`
}

export function entraDeltaScript(): string {
  return `${MARKER}
$ErrorActionPreference = 'Stop'
$out = [ordered]@{ method = 'entra-delta' }
function Scheduler { $s = Get-ADSyncScheduler; [ordered]@{ staging = [bool]$s.StagingModeEnabled; in_progress = [bool]$s.SyncCycleInProgress; enabled = [bool]$s.SyncCycleEnabled; suspended = [bool]$s.SchedulerSuspended; next_policy = [string]$s.NextSyncCyclePolicyType } }
try {
  Import-Module ADSync
  $out.scheduler = Scheduler
  if ($out.scheduler.staging) { $out.refused = 'staging mode: this server does not export' }
  else {
    $out.result = [string](Start-ADSyncSyncCycle -PolicyType Delta).Result
    $deadline = (Get-Date).AddSeconds(${ENTRA_WAIT_SECONDS})
    do { Start-Sleep -Seconds 5; $out.scheduler = Scheduler } while ($out.scheduler.in_progress -and (Get-Date) -lt $deadline)
  }
} catch { $out.error = $_.Exception.Message }
Write-Output ('${RESULT_PREFIX}' + ($out | ConvertTo-Json -Compress -Depth 5))
exit 0`
}

/** What the repadmin script reports. */
export interface RepadminReport {
  method: 'repadmin'
  syncall_exit?: number
  syncall?: string
  showrepl_exit?: number
  showrepl?: string
  error?: string
}

/** What the Entra Connect script reports. */
export interface EntraReport {
  method: 'entra-delta'
  scheduler?: {
    staging: boolean
    in_progress: boolean
    enabled: boolean
    suspended: boolean
    next_policy: string
  }
  result?: string
  refused?: string
  error?: string
}

/** The script's JSON line in an instance's output, or undefined when it printed none. */
export function readReport(output: string): RepadminReport | EntraReport | undefined {
  const line = output
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith(RESULT_PREFIX))
  if (!line) return undefined
  try {
    return JSON.parse(line.slice(RESULT_PREFIX.length))
  } catch {
    return undefined
  }
}

/** One row of `repadmin /showrepl * /csv`. */
export interface ReplicationLink {
  kind: string
  destinationSite: string
  destination: string
  namingContext: string
  sourceSite: string
  source: string
  transport: string
  failures: number
  lastFailureTime: string
  lastSuccessTime: string
  status: number
}

const HEADER = 'showrepl_COLUMNS'

/** Splits CSV lines (quoted fields may hold commas, and "" is a quote). */
function csvRows(text: string): string[][] {
  const rows: string[][] = []
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue
    const fields: string[] = []
    let field = ''
    let quoted = false
    for (let i = 0; i < line.length; i++) {
      const c = line[i]
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          field += '"'
          i++
        } else if (c === '"') quoted = false
        else field += c
      } else if (c === '"') quoted = true
      else if (c === ',') {
        fields.push(field)
        field = ''
      } else field += c
    }
    fields.push(field)
    rows.push(fields)
  }
  return rows
}

const toNumber = (text: string | undefined) => {
  const n = Number.parseInt((text ?? '').trim(), 10)
  return Number.isNaN(n) ? 0 : n
}

// Where an error row keeps its status is not documented: take the last number it holds.
const lastNumber = (row: string[]) => toNumber(row.slice(1).findLast((f) => /^\s*[1-9][0-9]*/.test(f)))

/**
 * Parses `repadmin /showrepl * /csv`: skips what comes before the header (a banner such as
 * "repadmin running command /showrepl against full DC ..."), then one link per row.
 */
export function parseShowrepl(text: string): ReplicationLink[] {
  const rows = csvRows(text)
  const at = rows.findIndex((r) => r[0]?.trim() === HEADER)
  if (at < 0) return []
  return rows
    .slice(at + 1)
    .filter((r) => r[0]?.startsWith('showrepl_'))
    .map((r) => ({
      kind: r[0]?.trim() ?? '',
      destinationSite: r[1] ?? '',
      destination: r[2] ?? '',
      namingContext: r[3] ?? '',
      sourceSite: r[4] ?? '',
      source: r[5] ?? '',
      transport: r[6] ?? '',
      failures: toNumber(r[7]),
      lastFailureTime: r[8] ?? '',
      lastSuccessTime: r[9] ?? '',
      status: toNumber(r[10]) || (r[0]?.trim() === 'showrepl_ERROR' ? lastNumber(r) : 0),
    }))
}

/** A link is failing when repadmin could not read it, or it counts failures, or its last status is not 0. */
export const isFailing = (link: ReplicationLink) =>
  link.kind !== 'showrepl_INFO' || link.failures > 0 || link.status !== 0

/** Win32 and directory errors repadmin reports most, for messages an operator can act on. */
const STATUS_TEXT: Record<number, string> = {
  5: 'Access is denied',
  1256: 'The remote system is not available',
  1722: 'The RPC server is unavailable',
  1753: 'There are no more endpoints available from the endpoint mapper',
  1908: 'Could not find the domain controller for this domain',
  8453: 'Replication access was denied',
  8524: 'The DSA operation is unable to proceed because of a DNS lookup failure',
  8606: 'Insufficient attributes were given to create an object (lingering objects)',
  8614: 'The directory service cannot replicate with this server because the time since the last replication with this server has exceeded the tombstone lifetime',
}

export const statusText = (status: number) =>
  STATUS_TEXT[status] ? `${status} (${STATUS_TEXT[status]})` : String(status)

export function describeLink(link: ReplicationLink): string {
  if (link.kind === 'showrepl_ERROR')
    return `${link.destination || 'a DC'}: repadmin could not read its replication status${link.status ? `: ${statusText(link.status)}` : ''}`
  const when = link.lastFailureTime && link.lastFailureTime !== '0' ? ` since ${link.lastFailureTime}` : ''
  return `${link.destination} <- ${link.source} (${link.sourceSite}) ${link.namingContext}: ${link.failures} failure(s), last status ${statusText(link.status)}${when}`
}
