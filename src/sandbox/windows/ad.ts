// Domain controllers and Entra Connect servers for the sandbox's SSM: answers the scripts ad.sync sends
// (recognised by their marker line) with the text repadmin and ADSync print on Windows.
import type { CommandResponder, CommandResult } from '../aws/ssm/world.js'

const MARKER = '# switchyard:ad-sync v1'
const PREFIX = 'SWITCHYARD-AD '

/** An inbound replication link of a DC, healthy unless `status` says otherwise. */
export interface ReplicationPartner {
  /** The source DC's short name, e.g. DC01. */
  dc: string
  site?: string
  /** Win32 status of the last attempt, e.g. 1722 (RPC server unavailable), 8453 (access denied). */
  status?: number
  /** Consecutive failures (default 1 when status is set). */
  failures?: number
}

export interface DomainControllerModel {
  /** Short name, e.g. DC01. */
  name: string
  site?: string
  /** Naming contexts it holds (default the domain, configuration and schema NCs of `domain`). */
  namingContexts?: string[]
  partners: ReplicationPartner[]
  /** repadmin /showrepl * cannot read this DC: it shows as a showrepl_ERROR row with this status. */
  unreachable?: number
}

export interface EntraConnectModel {
  staging?: boolean
  /** A cycle is already running: Start-ADSyncSyncCycle throws. */
  busy?: boolean
  suspended?: boolean
}

const STATUS_TEXT: Record<number, string> = {
  1722: 'The RPC server is unavailable.',
  1256: 'The remote system is not available. For information about network troubleshooting, see Windows Help.',
  8453: 'Replication access was denied.',
  8524: 'The DSA operation is unable to proceed because of a DNS lookup failure.',
}

const hex = (n: number) => `0x${n.toString(16)}`
const LAST_SUCCESS = '2024-05-14 09:41:07'
const LAST_FAILURE = '2024-05-14 09:58:33'

/** A forest of DCs (each behind an SSM instance id) and Entra Connect servers, for the sandbox. */
export function createAdWorld(domain = 'DC=corp,DC=example') {
  const dcs = new Map<string, DomainControllerModel>()
  const entra = new Map<string, EntraConnectModel>()
  const ncsOf = (dc: DomainControllerModel) =>
    dc.namingContexts ?? [domain, `CN=Configuration,${domain}`, `CN=Schema,CN=Configuration,${domain}`]
  const ntds = (name: string, site: string) =>
    `CN=NTDS Settings,CN=${name},CN=Servers,CN=${site},CN=Sites,CN=Configuration,${domain}`

  function syncall(dc: DomainControllerModel): { text: string; exit: number } {
    const site = dc.site ?? 'Default-First-Site-Name'
    const lines = [`Syncing all NC's held on ${dc.name}.`]
    const errors: string[] = []
    for (const nc of ncsOf(dc)) {
      lines.push(`Syncing partition: ${nc}`)
      for (const p of dc.partners) {
        const from = ntds(p.dc, p.site ?? site)
        if (p.status) {
          errors.push(
            `Error issuing replication: ${p.status} (${hex(p.status)}):`,
            `    ${STATUS_TEXT[p.status] ?? 'The operation failed.'}`,
            `    From: ${from}`,
            `    To  : ${ntds(dc.name, site)}`,
          )
          continue
        }
        lines.push(
          'CALLBACK MESSAGE: The following replication is in progress:',
          `    From: ${from}`,
          `    To  : ${ntds(dc.name, site)}`,
          'CALLBACK MESSAGE: The following replication completed successfully:',
          `    From: ${from}`,
          `    To  : ${ntds(dc.name, site)}`,
        )
      }
    }
    lines.push('CALLBACK MESSAGE: SyncAll Finished.')
    if (errors.length > 0) lines.push('SyncAll reported the following errors:', ...errors)
    else lines.push('SyncAll terminated with no errors.')
    return { text: `${lines.join('\r\n')}\r\n`, exit: errors.length > 0 ? 1 : 0 }
  }

  function showrepl(home: DomainControllerModel): string {
    const csv = (field: string) => (/[",]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)
    const rows = [
      `repadmin running command /showrepl against full DC ${home.name.toLowerCase()}.${domain.replaceAll('DC=', '').replaceAll(',', '.').toLowerCase()}`,
      'showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,Last Failure Status',
    ]
    for (const dc of dcs.values()) {
      const site = dc.site ?? 'Default-First-Site-Name'
      if (dc.unreachable) {
        rows.push(
          ['showrepl_ERROR', site, dc.name, '', '', '', '', '', '', '', String(dc.unreachable)]
            .map(csv)
            .join(','),
        )
        continue
      }
      for (const nc of ncsOf(dc))
        for (const p of dc.partners) {
          const failures = p.status ? (p.failures ?? 1) : 0
          rows.push(
            [
              'showrepl_INFO',
              site,
              dc.name,
              nc,
              p.site ?? site,
              p.dc,
              'RPC',
              String(failures),
              failures ? LAST_FAILURE : '0',
              LAST_SUCCESS,
              String(p.status ?? 0),
            ]
              .map(csv)
              .join(','),
          )
        }
    }
    return `${rows.join('\r\n')}\r\n`
  }

  const answer = (report: Record<string, unknown>): CommandResult => ({
    stdout: `${PREFIX}${JSON.stringify(report)}\r\n`,
    exitCode: 0,
    durationMs: 50,
  })

  const responder: CommandResponder = (instanceId, document, parameters) => {
    const script = (parameters.commands ?? []).join('\n')
    if (document !== 'AWS-RunPowerShellScript' || !script.includes(MARKER)) return undefined
    const entraServer = entra.get(instanceId)
    const dc = dcs.get(instanceId)
    if (!entraServer && !dc) return undefined
    if (script.includes('Start-ADSyncSyncCycle')) {
      if (!entraServer)
        return answer({
          method: 'entra-delta',
          error:
            "The specified module 'ADSync' was not loaded because no valid module file was found in any module directory.",
        })
      const scheduler = {
        staging: entraServer.staging === true,
        in_progress: false,
        enabled: entraServer.suspended !== true,
        suspended: entraServer.suspended === true,
        next_policy: 'Delta',
      }
      if (scheduler.staging)
        return answer({
          method: 'entra-delta',
          scheduler,
          refused: 'staging mode: this server does not export',
        })
      if (entraServer.busy)
        return answer({
          method: 'entra-delta',
          scheduler: { ...scheduler, in_progress: true },
          error:
            'System.InvalidOperationException: Connector: corp.example is busy. Please stop the current operation before trying again.',
        })
      return answer({ method: 'entra-delta', scheduler, result: 'Success' })
    }
    if (!dc)
      return answer({
        method: 'repadmin',
        error:
          "The term 'repadmin' is not recognized as the name of a cmdlet, function, script file, or operable program.",
      })
    const sync = syncall(dc)
    return answer({
      method: 'repadmin',
      syncall_exit: sync.exit,
      syncall: sync.text,
      showrepl_exit: 0,
      showrepl: showrepl(dc),
    })
  }

  return {
    /** A DC reachable through SSM as `instanceId`; every DC appears in every DC's /showrepl *. */
    addDomainController(instanceId: string, model: DomainControllerModel): DomainControllerModel {
      dcs.set(instanceId, model)
      return model
    },
    addEntraConnect(instanceId: string, model: EntraConnectModel = {}): EntraConnectModel {
      entra.set(instanceId, model)
      return model
    },
    domainController: (instanceId: string) => dcs.get(instanceId),
    entraConnect: (instanceId: string) => entra.get(instanceId),
    /** Register with `world.ssm.respond(ad.responder)`. */
    responder,
    /** The DCs' replication links and the Entra Connect servers, as plain data. */
    snapshotState() {
      return {
        domainControllers: Object.fromEntries([...dcs].map(([id, dc]) => [id, structuredClone(dc)])),
        entraConnect: Object.fromEntries([...entra].map(([id, server]) => [id, { ...server }])),
      }
    },
  }
}

export type AdWorld = ReturnType<typeof createAdWorld>
