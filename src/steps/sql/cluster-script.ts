/** The PowerShell script that removes a listener IP through the failover cluster, and the one line it answers with. */

/** The first line of the script: the sandbox (and a reader of SSM history) knows it by this. */
export const CLUSTER_SCRIPT_MARKER = '# switchyard:cluster-listener-ip v1'
/** The one line of output that is parsed; everything else the script prints is ignored. */
export const CLUSTER_RESULT_PREFIX = 'SWITCHYARD-CLUSTER '

/** What the script is asked to remove, as it receives it (base64 JSON, so no value can break a quote). */
export interface ListenerIpQuery {
  /** The availability group: its cluster role (group) carries its name. */
  ag: string
  /** The listener's DNS name: the DnsName of the role's 'Network Name' resource. */
  listener: string
  ip: string
}

/** What the script reports: exactly one of removed, already_absent or error. */
export interface ListenerIpReport {
  v: 1
  computer?: string
  removed?: boolean
  already_absent?: boolean
  error?: string
}

// Unverified against a live WSFC (written from the FailoverClusters cmdlet docs, no cluster at hand):
// the DependencyExpression format "([a] or [b])", and that an online IP resource must be refused
// here rather than left to Remove-ClusterResource. Exit 0 always: 3010 or 194 make SSM Agent reboot.
const SCRIPT_BODY = `$ErrorActionPreference = 'Stop'
$report = [ordered]@{ v = 1; computer = $env:COMPUTERNAME }
try {
  $query = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($switchyardQuery)) | ConvertFrom-Json
  Import-Module FailoverClusters
  $group = Get-ClusterGroup -Name $query.ag
  $resources = @($group | Get-ClusterResource)
  $networkName = $resources | Where-Object { $_.ResourceType.Name -eq 'Network Name' -and [string]($_ | Get-ClusterParameter -Name DnsName).Value -eq $query.listener } | Select-Object -First 1
  if (-not $networkName) { throw "cluster group '$($group.Name)' has no 'Network Name' resource whose DnsName is '$($query.listener)'" }
  $ipResources = @($resources | Where-Object { $_.ResourceType.Name -eq 'IP Address' })
  $target = $ipResources | Where-Object { [string]($_ | Get-ClusterParameter -Name Address).Value -eq $query.ip } | Select-Object -First 1
  if (-not $target) {
    $report.already_absent = $true
  } else {
    if ([string]$target.State -eq 'Online') { throw "IP resource '$($target.Name)' ($($query.ip)) is Online: the primary replica is in its subnet; fail the availability group over first" }
    $expression = [string](Get-ClusterResourceDependency -Resource $networkName.Name).DependencyExpression
    $remaining = @($ipResources | Where-Object { $_.Name -ne $target.Name -and $expression.Contains("[$($_.Name)]") } | ForEach-Object { "[$($_.Name)]" })
    if ($remaining.Count -eq 0) { throw "IP resource '$($target.Name)' is the only address '$($networkName.Name)' depends on; the listener needs one" }
    Set-ClusterResourceDependency -Resource $networkName.Name -Dependency ($remaining -join ' or ')
    Remove-ClusterResource -Name $target.Name -Force
    $report.removed = $true
  }
} catch {
  $report.error = $_.Exception.Message
}
Write-Output ('${CLUSTER_RESULT_PREFIX}' + (ConvertTo-Json -InputObject $report -Compress -Depth 5))
exit 0`

/** The script sent to a cluster node: the marker, the query as base64 JSON, then the fixed body. */
export function listenerIpRemovalScript(query: ListenerIpQuery): string {
  const encoded = Buffer.from(JSON.stringify(query), 'utf8').toString('base64')
  return `${CLUSTER_SCRIPT_MARKER}\n$switchyardQuery = '${encoded}'\n${SCRIPT_BODY}\n`
}

/** The query inside a script this module built, or undefined for any other script. */
export function listenerIpQueryInScript(script: string): ListenerIpQuery | undefined {
  if (!script.startsWith(CLUSTER_SCRIPT_MARKER)) return undefined
  const encoded = /^\$switchyardQuery = '([A-Za-z0-9+/=]*)'$/m.exec(script)?.[1]
  if (encoded === undefined) return undefined
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ListenerIpQuery
}

/** Parses the one result line; throws naming what came instead when it is missing, not JSON, or an error. */
export function parseListenerIpReport(stdout: string): 'removed' | 'already_absent' {
  const line = stdout
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith(CLUSTER_RESULT_PREFIX))
  const name = CLUSTER_RESULT_PREFIX.trim()
  if (line === undefined) throw new Error(`printed no ${name} line`)
  let report: Partial<ListenerIpReport> | null
  try {
    report = JSON.parse(line.slice(CLUSTER_RESULT_PREFIX.length)) as Partial<ListenerIpReport> | null
  } catch {
    throw new Error(`printed a ${name} line that is not JSON: ${line.slice(0, 160)}`)
  }
  if (typeof report !== 'object' || report === null || report.v !== 1)
    throw new Error(`printed a ${name} line of an unknown version`)
  if (typeof report.error === 'string' && report.error) throw new Error(`reported: ${report.error}`)
  if (report.removed === true) return 'removed'
  if (report.already_absent === true) return 'already_absent'
  throw new Error(`printed a ${name} line saying neither removed nor already_absent`)
}
