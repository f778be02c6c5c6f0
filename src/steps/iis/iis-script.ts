/** The PowerShell script of iis.health's server-side check, and the one line it answers with. */

/** The first line of the script: the sandbox (and a reader of SSM history) knows it by this. */
export const SCRIPT_MARKER = '# switchyard:iis-health v1'
/** The one line of output that is parsed; everything else the script prints is ignored. */
export const RESULT_PREFIX = 'SWITCHYARD-IIS '

/** What the script asks for, as it receives it (base64 JSON, so no value can break a quote). */
export interface IisQuery {
  app_pools: string[]
  sites: string[]
  services: string[]
}

/** What the script reports on one instance. */
export interface IisReport {
  v: number
  computer?: string
  app_pools: Array<{ name: string; state: string; error?: string }>
  sites: Array<{ name: string; state: string; error?: string }>
  services: Array<{ name: string; status: string }>
  errors: string[]
}

// Each item is read on its own so that one missing pool or site names itself and the rest still
// report. Exit 0 always: SSM Agent reboots the node on 3010, which a child may leave in $LASTEXITCODE.
const SCRIPT_BODY = `$ErrorActionPreference = 'Stop'
$query = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($switchyardQuery)) | ConvertFrom-Json
$report = [ordered]@{ v = 1; computer = $env:COMPUTERNAME; app_pools = @(); sites = @(); services = @(); errors = @() }
$iis = $true
try { Import-Module WebAdministration -ErrorAction Stop } catch { $iis = $false; $report.errors += "WebAdministration: $($_.Exception.Message)" }
foreach ($name in @($query.app_pools | Where-Object { $_ })) {
  if (-not $iis) { $report.app_pools += [ordered]@{ name = $name; state = 'Unknown' }; continue }
  try { $report.app_pools += [ordered]@{ name = $name; state = [string](Get-WebAppPoolState -Name $name -ErrorAction Stop).Value } }
  catch { $report.app_pools += [ordered]@{ name = $name; state = 'NotFound'; error = $_.Exception.Message } }
}
foreach ($name in @($query.sites | Where-Object { $_ })) {
  if (-not $iis) { $report.sites += [ordered]@{ name = $name; state = 'Unknown' }; continue }
  try { $report.sites += [ordered]@{ name = $name; state = [string](Get-WebsiteState -Name $name -ErrorAction Stop).Value } }
  catch { $report.sites += [ordered]@{ name = $name; state = 'NotFound'; error = $_.Exception.Message } }
}
foreach ($name in @($query.services | Where-Object { $_ })) {
  $service = Get-Service -Name $name -ErrorAction SilentlyContinue
  $report.services += [ordered]@{ name = $name; status = $(if ($service) { [string]$service.Status } else { 'NotFound' }) }
}
Write-Output ('${RESULT_PREFIX}' + (ConvertTo-Json -InputObject $report -Compress -Depth 5))
exit 0`

/** The script sent to each instance: the marker, the query as base64 JSON, then the fixed body. */
export function iisHealthScript(query: IisQuery): string {
  const encoded = Buffer.from(JSON.stringify(query), 'utf8').toString('base64')
  return `${SCRIPT_MARKER}\n$switchyardQuery = '${encoded}'\n${SCRIPT_BODY}\n`
}

/** The query inside a script this module built, or undefined for any other script. */
export function queryInScript(script: string): IisQuery | undefined {
  if (!script.startsWith(SCRIPT_MARKER)) return undefined
  const encoded = /^\$switchyardQuery = '([A-Za-z0-9+/=]*)'$/m.exec(script)?.[1]
  if (encoded === undefined) return undefined
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as IisQuery
}
