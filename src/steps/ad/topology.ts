// Who the two DCs are and how AD schedules replication between them, read from each DC's root DSE and
// the configuration partition's site links. A DC that is not AD (OpenLDAP) has neither: both are optional.
import { SwitchyardError } from '../../errors.js'
import { formatDuration } from '../../runbook/duration.js'
import type { Directory } from './ldap.js'

/** What a DC's root DSE says about it (AD; MS-ADTS 3.1.1.3.2). */
export interface DcIdentity {
  /** The DN of the DC's NTDS Settings object: unique per DC. */
  dsServiceName?: string
  /** The DN of the DC's server object, under its site. */
  serverName?: string
  dnsHostName?: string
  configurationNamingContext?: string
  schemaNamingContext?: string
}

const first = (value: unknown): string | undefined => {
  const v = Array.isArray(value) ? value[0] : value
  return typeof v === 'string' && v !== '' ? v : undefined
}

export async function readIdentity(directory: Directory): Promise<DcIdentity> {
  const attributes = [
    'dsServiceName',
    'serverName',
    'dnsHostName',
    'configurationNamingContext',
    'schemaNamingContext',
  ]
  const { searchEntries } = await directory.client.search('', { scope: 'base', attributes })
  const entry = searchEntries[0]
  const identity: DcIdentity = {}
  for (const name of attributes) {
    const value = first(entry?.[name])
    if (value !== undefined) identity[name as keyof DcIdentity] = value
  }
  return identity
}

/** Fails when source and target are one DC (two names or addresses for the same server). */
export function refuseSameDc(
  source: Directory,
  sourceId: DcIdentity,
  target: Directory,
  targetId: DcIdentity,
) {
  const same = (a?: string, b?: string) =>
    a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase()
  if (same(sourceId.dsServiceName, targetId.dsServiceName) || same(sourceId.serverName, targetId.serverName))
    throw new SwitchyardError(
      `${source.label} and ${target.label} are the same domain controller (${sourceId.dnsHostName ?? sourceId.serverName}): a canary would "replicate" to itself`,
      {
        hint: "point target at the DC in AWS (a name that resolves to another DC: check DNS and the url's host)",
      },
    )
}

/** `CN=DC1,CN=Servers,CN=Site-A,CN=Sites,...` gives `CN=Site-A,CN=Sites,...`. */
export const siteOf = (serverName: string | undefined) =>
  serverName?.replace(/^(?:[^,\\]|\\.)*,(?:[^,\\]|\\.)*,/, '')

const siteNameOf = (siteDn: string) => /^CN=((?:[^,\\]|\\.)*)/i.exec(siteDn)?.[1] ?? siteDn

/** A site link's USE_NOTIFY option: change notification across the link (MS-ADTS 6.1.1.2.2.3.1). */
const USE_NOTIFY = 1

export interface SiteLink {
  name: string
  sites: string[]
  replIntervalMinutes: number
  notify: boolean
}

/** How soon a change on source can reach target under AD's schedule, and why. */
export interface ReplicationSchedule {
  /** Worst case in ms, or undefined when change notification applies (seconds, not a schedule). */
  worstCaseMs: number | undefined
  describe: string
}

export async function readSiteLinks(directory: Directory, configuration: string): Promise<SiteLink[]> {
  const { searchEntries } = await directory.client.search(`CN=Sites,${configuration}`, {
    scope: 'sub',
    filter: '(objectClass=siteLink)',
    attributes: ['cn', 'siteList', 'replInterval', 'options'],
  })
  return searchEntries.map((e) => ({
    name: first(e.cn) ?? e.dn,
    sites: (Array.isArray(e.siteList) ? e.siteList : [e.siteList]).filter(
      (s): s is string => typeof s === 'string',
    ),
    // An unset replInterval means AD's default of 180 minutes.
    replIntervalMinutes: Number.parseInt(first(e.replInterval) ?? '180', 10) || 180,
    notify: ((Number.parseInt(first(e.options) ?? '0', 10) || 0) & USE_NOTIFY) !== 0,
  }))
}

/** The schedule between two sites: the quickest path of site links (each hop waits at most its interval). */
export function scheduleBetween(
  sourceSite: string,
  targetSite: string,
  links: SiteLink[],
): ReplicationSchedule {
  const same = sourceSite.toLowerCase() === targetSite.toLowerCase()
  if (same)
    return {
      worstCaseMs: undefined,
      describe: `both DCs are in site ${siteNameOf(sourceSite)}: change notification (seconds)`,
    }
  // Dijkstra over sites; a notifying link costs nothing on the schedule.
  const cost = (l: SiteLink) => (l.notify ? 0 : l.replIntervalMinutes)
  const best = new Map<string, { minutes: number; path: SiteLink[] }>([
    [sourceSite.toLowerCase(), { minutes: 0, path: [] }],
  ])
  const done = new Set<string>()
  for (;;) {
    const open = [...best.entries()]
      .filter(([s]) => !done.has(s))
      .sort((a, b) => a[1].minutes - b[1].minutes)[0]
    if (!open) break
    const [site, reached] = open
    done.add(site)
    for (const link of links) {
      const sites = link.sites.map((s) => s.toLowerCase())
      if (!sites.includes(site)) continue
      for (const next of sites) {
        const minutes = reached.minutes + cost(link)
        if (!best.has(next) || (best.get(next)?.minutes ?? Infinity) > minutes)
          best.set(next, { minutes, path: [...reached.path, link] })
      }
    }
  }
  const route = best.get(targetSite.toLowerCase())
  const between = `${siteNameOf(sourceSite)} -> ${siteNameOf(targetSite)}`
  if (!route) return { worstCaseMs: Number.POSITIVE_INFINITY, describe: `no site link joins ${between}` }
  const via = route.path
    .map((l) => `${l.name} (${l.notify ? 'change notification' : `every ${l.replIntervalMinutes} min`})`)
    .join(', ')
  if (route.minutes === 0) return { worstCaseMs: undefined, describe: `${between} via ${via}` }
  return { worstCaseMs: route.minutes * 60_000, describe: `${between} via ${via}` }
}

/** The expected worst-case latency from source to target under AD's site-link schedule, if AD tells. */
export async function replicationSchedule(
  source: Directory,
  sourceId: DcIdentity,
  targetId: DcIdentity,
): Promise<ReplicationSchedule | undefined> {
  const sourceSite = siteOf(sourceId.serverName)
  const targetSite = siteOf(targetId.serverName)
  const configuration = sourceId.configurationNamingContext
  if (!sourceSite || !targetSite || !configuration) return undefined
  const links = await readSiteLinks(source, configuration)
  return scheduleBetween(sourceSite, targetSite, links)
}

/** Fails when the step would give up before AD's schedule can deliver the canary. */
export function refuseShortTimeout(schedule: ReplicationSchedule, timeoutMs: number, triggered: boolean) {
  const worst = schedule.worstCaseMs
  if (triggered || worst === undefined || timeoutMs >= worst) return
  const expected = Number.isFinite(worst) ? `up to ${formatDuration(worst)}` : 'never, on its own'
  throw new SwitchyardError(
    `the canary may take ${expected} to arrive (${schedule.describe}), longer than the step's timeout of ${formatDuration(timeoutMs)}`,
    {
      hint: 'add trigger: (repadmin /syncall through SSM), enable change notification on the site link (options |= 1), or raise timeout',
    },
  )
}

/** How the schedule reads in a plan. */
export function describeSchedule(schedule: ReplicationSchedule): string {
  const worst = schedule.worstCaseMs
  if (worst === undefined) return `expected within seconds: ${schedule.describe}`
  if (!Number.isFinite(worst)) return `not expected without a trigger: ${schedule.describe}`
  return `expected worst case ${formatDuration(worst)}: ${schedule.describe}`
}
