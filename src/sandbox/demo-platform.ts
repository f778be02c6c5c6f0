// The whole gift-card platform on one machine: the AWS emulator (Route 53, EC2, SSM, CloudWatch, SNS),
// SQL Server's availability group over TDS, IIS health endpoints, domain controllers over SSM and, when
// slapd is installed, two OpenLDAP servers replicating as the on-prem and AWS DCs. Fixed ports, so a
// checked-in params file (runbooks/params/giftcard-cutover.sandbox.yaml) can name them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidInputError } from '../errors.js'
import {
  DEMO_PLATFORM_AWS,
  DEMO_RECORD,
  DEMO_ZONE_ID,
  seedDemoPatching,
  seedDemoWorld,
} from './aws/demo-world.js'
import { type AwsSandbox, sandboxEnv, startAwsSandbox } from './aws/index.js'
import { sandboxCertificate } from './certificate.js'
import {
  freePort,
  type SeedEntry,
  type SlapdPair,
  type SlapdTls,
  slapdMissing,
  startSlapdPair,
} from './ldap/slapd.js'
import type { Frontend } from './load/load.js'
import { demoSqlWorld, type SqlSandbox, startSqlSandbox } from './sql/index.js'
import { type AdWorld, createAdWorld } from './windows/ad.js'
import { clusterResponder } from './windows/cluster.js'
import { createIisFleet, type IisFleet, type IisSandbox, startIisSandbox } from './windows/iis.js'

const SUFFIX = 'dc=corp,dc=example'

/** Where the demo platform listens, and the credentials it accepts: shared by the runbook's params file, docs and tests. */
export const DEMO_PLATFORM = {
  zone: DEMO_ZONE_ID,
  /** SecureString parameters in the sandbox's SSM, where the flagship runbook reads its secrets as in production. */
  parameters: {
    sqlPassword: '/giftcard/sql/migrator-password',
    ldapPassword: '/giftcard/ad/migration-password',
  },
  sql: {
    user: 'migrator',
    password: 'sandbox-sql-password',
    instances: {
      'SQL-ONPREM-1': { host: '127.0.0.1', port: 14331 },
      'SQL-ONPREM-2': { host: '127.0.0.1', port: 14332 },
      'SQL-AWS-1': { host: '127.0.0.1', port: 14333 },
    },
  },
  web: {
    port: 18080,
    /** The AWS web instances' private IPs: loopback addresses their /health listens on. */
    instances: [
      { name: 'web-aws-1', address: '127.0.1.11' },
      { name: 'web-aws-2', address: '127.0.1.12' },
    ],
    /** The on-prem web server behind the datacenter's load balancer (no EC2 instance: its IIS stand-in is keyed by name). */
    onprem: { name: 'web-onprem-1', address: '127.0.1.21' },
  },
  ldap: {
    suffix: SUFFIX,
    bindDn: `cn=admin,${SUFFIX}`,
    password: 'sandbox-ldap-password',
    onprem: { name: 'dc-onprem-1', port: 13890 },
    aws: { name: 'dc-aws-1', port: 13891 },
    canary: `cn=switchyard-canary,ou=Migration,${SUFFIX}`,
  },
} as const

/** The variables `sandbox env` exports and `run --sandbox` sets, besides the AWS ones. */
export const DEMO_ENV = {
  sqlPassword: 'SWITCHYARD_SANDBOX_SQL_PASSWORD',
  ldapPassword: 'SWITCHYARD_SANDBOX_LDAP_PASSWORD',
  /** The PEM file of the CA that signed the sandbox DCs' StartTLS certificates (unset when slapd is off). */
  ldapCaFile: 'SWITCHYARD_SANDBOX_LDAP_CA_FILE',
  /** on when the slapd pair runs; off when slapd is not installed and the LDAP checks are skipped. */
  ldap: 'SWITCHYARD_SANDBOX_LDAP',
} as const

export type SqlInstanceName = keyof typeof DEMO_PLATFORM.sql.instances

export interface DemoPlatformOptions {
  /** The AWS emulator's port (default any free port). */
  awsPort?: number
  /** Default true: the well-known ports above. False picks free ports (tests running side by side). */
  fixedPorts?: boolean
  /** Bytes a second automatic seeding moves (default: the demo's 2.5 GB in about five seconds). */
  seedingBytesPerSecond?: number
  /** Leave slapd out even when it is installed. */
  withoutLdap?: boolean
}

export interface DemoPlatform {
  aws: AwsSandbox
  sql: SqlSandbox
  iis: IisSandbox
  fleet: IisFleet
  ad: AdWorld
  /** The slapd pair, or undefined with the reason in `ldapSkipped`. */
  ldap?: SlapdPair
  ldapSkipped?: string
  /** Where everything actually listens (the fixed ports unless fixedPorts was false). */
  addresses: {
    aws: string
    sql: Record<SqlInstanceName, string>
    webHealthUrl: string
    web: Record<string, { instanceId: string; address: string }>
    dcs: Record<string, { instanceId: string; url?: string }>
    /** By the DNS answer that leads to it (the weighted record's values): each site's load balancer. */
    frontends: Record<string, Frontend>
    /** The WSFC nodes SSM reaches (cluster commands for the listener), by name. */
    clusterNodes: Record<string, { instanceId: string }>
  }
  /** AWS variables plus DEMO_ENV's. */
  env: Record<string, string>
  close(): Promise<void>
}

const SEED: SeedEntry[] = [
  ...['People', 'Groups', 'Migration'].map((ou) => ({
    dn: `ou=${ou},${SUFFIX}`,
    attributes: { objectClass: 'organizationalUnit', ou },
  })),
  ...['alice', 'bob', 'carol', 'dan', 'erin'].map((uid) => ({
    dn: `uid=${uid},ou=People,${SUFFIX}`,
    attributes: { objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid },
  })),
  ...[
    ['giftcard-admins', 'alice'],
    ['giftcard-support', 'bob'],
  ].map(([cn, uid]) => ({
    dn: `cn=${cn},ou=Groups,${SUFFIX}`,
    attributes: { objectClass: 'groupOfNames', cn: cn as string, member: `uid=${uid},ou=People,${SUFFIX}` },
  })),
  {
    dn: DEMO_PLATFORM.ldap.canary,
    attributes: { objectClass: 'organizationalRole', cn: 'switchyard-canary' },
  },
]

/** Fails with the port, what wanted it and what to do, before anything else starts listening. */
async function claimPort(port: number, host: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer()
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new InvalidInputError(
          `the sandbox cannot listen on ${host}:${port} for ${what}: ${error.code ?? error.message}`,
          {
            hint:
              error.code === 'EADDRNOTAVAIL'
                ? `${host} is not a local address here (Linux routes all of 127.0.0.0/8 to lo; elsewhere add it as a loopback alias)`
                : `something else holds port ${port}: stop it (another \`switchyard sandbox up\`, or a \`run --sandbox\` still running) and try again`,
          },
        ),
      ),
    )
    probe.listen(port, host, () => probe.close(() => resolve()))
  })
}

/** Starts every part of the demo platform; on any failure, stops what already started. */
export async function startDemoPlatform(options: DemoPlatformOptions = {}): Promise<DemoPlatform> {
  const fixed = options.fixedPorts ?? true
  const P = DEMO_PLATFORM
  const ldapWanted = !options.withoutLdap
  const ldapSkipped = ldapWanted ? slapdMissing() : 'left out (withoutLdap)'
  if (fixed) {
    for (const [name, { host, port }] of Object.entries(P.sql.instances))
      await claimPort(port, host, `SQL Server ${name}`)
    for (const web of [...P.web.instances, P.web.onprem])
      await claimPort(P.web.port, web.address, `${web.name}'s /health`)
    if (!ldapSkipped)
      for (const dc of [P.ldap.onprem, P.ldap.aws])
        await claimPort(dc.port, '127.0.0.1', `slapd as ${dc.name}`)
  }

  const closers: (() => Promise<void>)[] = []
  const close = async () => {
    for (const stop of closers.reverse()) await stop().catch(() => {})
  }
  try {
    const aws = await startAwsSandbox({ port: options.awsPort ?? 0 })
    closers.push(() => aws.close())
    seedDemoWorld(aws.world)
    aws.world.ssm.putParameter(P.parameters.sqlPassword, P.sql.password, { type: 'SecureString' })
    aws.world.ssm.putParameter(P.parameters.ldapPassword, P.ldap.password, { type: 'SecureString' })

    const world = demoSqlWorld({
      password: P.sql.password,
      user: P.sql.user,
      seedingBytesPerSecond: options.seedingBytesPerSecond ?? 500 * 1024 * 1024,
    })
    const sql = await startSqlSandbox({
      world,
      instances: Object.entries(P.sql.instances).map(([name, { host, port }]) => ({
        name,
        host,
        port: fixed ? port : 0,
      })),
    })
    closers.push(() => sql.close())

    // The AWS web servers: EC2 instances whose private IPs are the loopback addresses their IIS answers on.
    const fleet = createIisFleet()
    const webInstances = aws.world.ec2
      .instances()
      .filter((i) => i.tags.Role === 'web')
      .sort((a, b) => (a.tags.Name ?? '').localeCompare(b.tags.Name ?? ''))
    const web = P.web.instances.map((w, n) => {
      const instance = webInstances[n]
      if (!instance || instance.privateIp !== w.address)
        throw new Error(`the demo world has no web instance at ${w.address}`)
      fleet.addServer(instance.id, {
        computerName: w.name.toUpperCase(),
        appPools: { GiftCard: 'Started' },
        sites: { GiftCard: 'Started' },
      })
      return { name: w.name, instanceId: instance.id, address: w.address }
    })
    aws.world.ssm.respond(fleet.responder)
    const iis = await startIisSandbox({
      instances: [
        ...web.map((w) => ({ instanceId: w.instanceId, address: w.address })),
        { instanceId: P.web.onprem.name, address: P.web.onprem.address },
      ],
      port: fixed ? P.web.port : 0,
      fleet,
    })
    closers.push(() => iis.close())

    // Two nodes of GIFTCARD-WSFC behind SSM: the cluster commands (removing a listener IP) run there.
    const clusterNodes: DemoPlatform['addresses']['clusterNodes'] = {}
    for (const [name, site] of [
      ['sql-onprem-1', 'onprem'],
      ['sql-aws-1', 'aws'],
    ] as const) {
      const instance = aws.world.ec2.addInstance({
        tags: { Name: name, Role: 'sql', Env: 'prod', Site: site },
        platform: 'windows',
      })
      clusterNodes[name] = { instanceId: instance.id }
    }
    aws.world.ssm.respond(
      clusterResponder(
        world,
        Object.values(clusterNodes).map((n) => n.instanceId),
      ),
    )

    // The domain controllers: repadmin answers over SSM; the directory itself over LDAP (slapd).
    const ad = createAdWorld('DC=corp,DC=example')
    const dcs: DemoPlatform['addresses']['dcs'] = {}
    for (const [dc, site, partner] of [
      [P.ldap.onprem, 'OnPrem', P.ldap.aws],
      [P.ldap.aws, 'AWS', P.ldap.onprem],
    ] as const) {
      const instance = aws.world.ec2.addInstance({
        tags: { Name: dc.name, Role: 'dc', Env: 'prod', Site: site.toLowerCase() },
        platform: 'windows',
      })
      ad.addDomainController(instance.id, {
        name: dc.name.toUpperCase(),
        site,
        partners: [{ dc: partner.name.toUpperCase(), site: partner === P.ldap.aws ? 'AWS' : 'OnPrem' }],
      })
      dcs[dc.name] = { instanceId: instance.id }
    }
    aws.world.ssm.respond(ad.responder)
    seedDemoPatching(aws.world)

    let ldap: SlapdPair | undefined
    let ldapTls: SlapdTls | undefined
    if (!ldapSkipped) {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-sandbox-ldap-'))
      closers.push(async () => rmSync(dir, { recursive: true, force: true }))
      ldapTls = await writeDcCertificate(dir)
      ldap = await startSlapdPair({
        tls: ldapTls,
        dir,
        providerPort: fixed ? P.ldap.onprem.port : await freePort(),
        consumerPort: fixed ? P.ldap.aws.port : await freePort(),
        suffix: SUFFIX,
        password: P.ldap.password,
        seed: SEED,
      })
      const pair = ldap
      closers.push(() => pair.close())
      ;(dcs[P.ldap.onprem.name] as { url?: string }).url = ldap.provider.url
      ;(dcs[P.ldap.aws.name] as { url?: string }).url = ldap.consumer.url
    }

    const address = (name: SqlInstanceName) => {
      const at = sql.instances[name] as { host: string; port: number }
      return `${at.host},${at.port}`
    }
    return {
      aws,
      sql,
      iis,
      fleet,
      ad,
      ...(ldap ? { ldap } : {}),
      ...(ldapSkipped ? { ldapSkipped } : {}),
      addresses: {
        aws: aws.url,
        sql: {
          'SQL-ONPREM-1': address('SQL-ONPREM-1'),
          'SQL-ONPREM-2': address('SQL-ONPREM-2'),
          'SQL-AWS-1': address('SQL-AWS-1'),
        },
        webHealthUrl: `http://{host}:${iis.port}/health`,
        web: Object.fromEntries(web.map((w) => [w.name, { instanceId: w.instanceId, address: w.address }])),
        frontends: {
          [DEMO_RECORD.answers.onprem]: { site: 'onprem', urls: [iis.urls[P.web.onprem.name] as string] },
          [DEMO_RECORD.answers.aws]: { site: 'aws', urls: web.map((w) => iis.urls[w.instanceId] as string) },
        },
        dcs,
        clusterNodes,
      },
      env: demoEnv(aws.url, ldap && ldapTls),
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** The sandbox certificate as slapd's server certificate, key and CA file, written into the DCs' folder. */
async function writeDcCertificate(dir: string): Promise<SlapdTls> {
  const { cert, key } = await sandboxCertificate()
  const files = { certFile: join(dir, 'dc.crt'), keyFile: join(dir, 'dc.key'), caFile: join(dir, 'ca.pem') }
  writeFileSync(files.certFile, cert)
  writeFileSync(files.keyFile, key, { mode: 0o600 })
  // Self-signed: the certificate is its own CA.
  writeFileSync(files.caFile, cert)
  return files
}

/**
 * What points switchyard at a running demo platform: the AWS variables, the sandbox's secrets and, when
 * the DCs run, the CA file their StartTLS certificates chain to.
 */
export function demoEnv(
  awsUrl: string,
  ldap: { caFile: string } | undefined,
  env: NodeJS.ProcessEnv = process.env,
) {
  return {
    ...sandboxEnv(awsUrl, env),
    [DEMO_ENV.sqlPassword]: DEMO_PLATFORM.sql.password,
    [DEMO_ENV.ldapPassword]: DEMO_PLATFORM.ldap.password,
    [DEMO_ENV.ldap]: ldap ? 'on' : 'off',
    ...(ldap ? { [DEMO_ENV.ldapCaFile]: ldap.caFile } : {}),
  }
}

/** How a DBA looks at the sandbox's AG with FreeTDS's tsql or Microsoft's sqlcmd while a rehearsal runs. */
function sqlClientHint(): string {
  const { host, port } = DEMO_PLATFORM.sql.instances['SQL-ONPREM-1']
  const password = `"$${DEMO_ENV.sqlPassword}"`
  const user = DEMO_PLATFORM.sql.user
  return (
    `look at the AG as a DBA (after the eval below): tsql -H ${host} -p ${port} -U ${user} -P ${password}` +
    ` or sqlcmd -S ${host},${port} -U ${user} -P ${password} -C, then e.g. ` +
    'SELECT replica_server_name, role_desc FROM sys.dm_hadr_availability_replica_states s ' +
    'JOIN sys.availability_replicas r ON r.replica_id = s.replica_id'
  )
}

/** The NLBs with their target groups, the web tier's Auto Scaling group, and how many servers Patch Manager knows. */
function describeFrontDoor(world: AwsSandbox['world']): string {
  const P = DEMO_PLATFORM_AWS
  const addresses = world.elbv2
    .loadBalancers()
    .find((lb) => lb.name === P.publicLoadBalancer)
    ?.zones.map((z) => z.ip)
    .join(', ')
  const patched = Object.keys(world.ssm.patching.snapshotState()).length
  return (
    `NLBs: ${P.publicLoadBalancer} (${addresses}) to ${P.firewallTargetGroup}, ${P.internalLoadBalancer} to ${P.webTargetGroup}; ` +
    `Auto Scaling ${P.webAutoScalingGroup} (${P.zones.join(', ')}); Patch Manager: ${patched} servers scanned, ` +
    `${P.onPremServers.length} of them on-premises (mi-)`
  )
}

/** What `sandbox up` and `run --sandbox` say they started, a line each. */
export function describePlatform(platform: DemoPlatform): string[] {
  const { addresses } = platform
  const lines = [
    `AWS (Route 53, EC2, SSM, CloudWatch, SNS, STS, ELBv2, Auto Scaling) on ${addresses.aws}; demo zone ${DEMO_PLATFORM.zone}`,
    `SQL Server AG-GIFTCARD: ${Object.entries(addresses.sql)
      .map(([name, at]) => `${name} ${at}`)
      .join(', ')} (login ${DEMO_PLATFORM.sql.user}, TLS with a self-signed certificate)`,
    sqlClientHint(),
    `IIS /health: ${Object.entries(addresses.web)
      .map(([name, w]) => `${name} (${w.instanceId}) ${addresses.webHealthUrl.replace('{host}', w.address)}`)
      .join(', ')}`,
    `on-prem web: ${DEMO_PLATFORM.web.onprem.name} ${addresses.webHealthUrl.replace('{host}', DEMO_PLATFORM.web.onprem.address)} behind ${DEMO_RECORD.answers.onprem}`,
    `domain controllers over SSM: ${Object.entries(addresses.dcs)
      .map(([name, dc]) => `${name} (${dc.instanceId})${dc.url ? ` LDAP ${dc.url} (StartTLS)` : ''}`)
      .join(', ')}`,
    `WSFC nodes over SSM: ${Object.entries(addresses.clusterNodes)
      .map(([name, node]) => `${name} (${node.instanceId})`)
      .join(', ')}`,
    describeFrontDoor(platform.aws.world),
  ]
  if (platform.ldapSkipped)
    lines.push(`AD LDAP checks will be skipped: slapd cannot run here (${platform.ldapSkipped})`)
  return lines
}
