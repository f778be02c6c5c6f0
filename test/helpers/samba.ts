// Two real Samba AD domain controllers in one domain (DRS replication), for a test file: provisioned and
// joined in before(), stopped and removed in after(). Both live in a network namespace this helper makes,
// on link-local addresses that exist only inside it (Samba's DNS updater skips loopback); the CLI under
// test runs inside it too. Recipe: shared/reference/samba-ad.md. Needs root and Debian's samba packages.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { type CliResult, startSwitchyard, tempDir, waitUntil } from './cli.ts'

export const REALM = 'corp.example'
export const BASE = 'DC=corp,DC=example'
export const ADMIN_DN = `CN=Administrator,CN=Users,${BASE}`
/** Another name for dc1 (in DNS and on its certificate), as a load-balanced or legacy name would be. */
export const DC1_ALIAS = `ldap.${REALM}`
const DOMAIN = 'CORP'

const TOOLS = {
  samba: '/usr/sbin/samba',
  'samba-tool': '/usr/bin/samba-tool',
  ldapmodify: '/usr/bin/ldapmodify',
  ldapsearch: '/usr/bin/ldapsearch',
  ip: '/usr/sbin/ip',
  ldbsearch: '/usr/bin/ldbsearch',
  winbindd: '/usr/sbin/winbindd',
  'AD schema (samba-ad-provision)': '/usr/share/samba/setup/ad-schema',
}

/** Why two Samba DCs cannot run here, or undefined when they can. */
export function sambaMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'making a network namespace needs root'
  const missing = Object.entries(TOOLS).find(([, file]) => !existsSync(file))
  if (missing)
    return `${missing[1]} (${missing[0]}) not found (Debian: apt-get install samba-ad-dc samba-ad-provision winbind ldb-tools ldap-utils iproute2)`
  const ns = `switchyard-probe-${process.pid}`
  try {
    execFileSync(TOOLS.ip, ['netns', 'add', ns], { stdio: 'pipe' })
    execFileSync(TOOLS.ip, ['netns', 'del', ns], { stdio: 'pipe' })
  } catch (error) {
    return `this machine cannot make a network namespace: ${(error as Error).message.split('\n')[0]}`
  }
  return undefined
}

export interface SambaDc {
  /** dc1 (provisioned first: the on-premises DC) or dc2 (joined: the DC in AWS). */
  name: string
  host: string
  ip: string
  /** The DC's own CA, which signed its certificate (CN=<name>.corp.example, no subjectAltName). */
  caFile: string
  running(): boolean
  start(): Promise<void>
  /** Stops it (SIGTERM, or SIGKILL for a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

export interface SambaDomain {
  dc1: SambaDc
  dc2: SambaDc
  /** Applies an LDIF (changetype records) on a DC over StartTLS, as Administrator. */
  ldif(dc: SambaDc, text: string): void
  /** samba-tool against a DC, as Administrator (the password through the environment, not argv). */
  sambaTool(args: string[]): string
  /** Runs the built CLI inside the namespace, without blocking this process. */
  cli(cwd: string, args: string[], env?: Record<string, string>): Promise<CliResult>
  /** Starts the built CLI inside the namespace, for a test that acts while it runs. */
  start(cwd: string, args: string[], env?: Record<string, string>): ReturnType<typeof startSwitchyard>
  close(): Promise<void>
}

/** A password Samba's default complexity rules accept, for test accounts. */
export const unicodePwd = (password: string) => Buffer.from(`"${password}"`, 'utf16le').toString('base64')

/** Two DCs for the file, unless `skipReason` says why they cannot run here. */
export function useSambaDomain(options: { adminPassword: string; seed?: (domain: SambaDomain) => void }) {
  const skipReason = sambaMissing()
  let domain: SambaDomain | undefined
  before(async () => {
    if (skipReason) return
    const started = performance.now()
    domain = await startSambaDomain(options.adminPassword)
    options.seed?.(domain)
    // CI's logs keep this: provisioning is most of the file's time.
    console.log(
      `# two Samba DCs provisioned, joined and seeded in ${Math.round((performance.now() - started) / 1000)} s`,
    )
  })
  after(async () => {
    await domain?.close()
  })
  return {
    skipReason,
    get domain(): SambaDomain {
      if (!domain) throw new Error('the Samba domain starts in before(); use it inside a test')
      return domain
    },
  }
}

// Everything a DC would otherwise put under /run, /var/log or /var/lib goes under its own folder.
const ownFolders = (dir: string, ip: string, name: string) => [
  `netbios name=${name.toUpperCase()}`,
  `interfaces=${ip}`,
  'bind interfaces only=yes',
  'disable netbios=yes',
  `pid directory=${dir}/run`,
  `ncalrpc dir=${dir}/run/ncalrpc`,
  `winbindd socket directory=${dir}/run/winbindd`,
  `ntp signd socket directory=${dir}/run/ntp_signd`,
  `usershare path=${dir}/usershares`,
  `log file=${dir}/log.%m`,
  // Poll and notify partners every second rather than every 5 minutes / 5 seconds: the tests wait less.
  'dreplsrv:periodic_interval=1',
  'dreplsrv:notify_interval=1',
]

export async function startSambaDomain(adminPassword: string): Promise<SambaDomain> {
  const scratch = tempDir('samba')
  const ns = `switchyard-ad-${process.pid}`
  const netnsEtc = `/etc/netns/${ns}`
  const children = new Map<string, ChildProcess>()
  const env = { ...process.env, PASSWD: adminPassword }
  const run = (command: string, args: string[], input?: string) =>
    execFileSync(TOOLS.ip, ['netns', 'exec', ns, command, ...args], {
      env,
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    })

  const dc = (name: string, ip: string): SambaDc & { dir: string; conf: string } => {
    const dir = join(scratch.dir, name)
    const conf = join(dir, 'etc', 'smb.conf')
    const self: SambaDc & { dir: string; conf: string } = {
      name,
      host: `${name}.${REALM}`,
      ip,
      dir,
      conf,
      caFile: join(dir, 'private', 'tls', 'ca.pem'),
      running: () => {
        const child = children.get(name)
        return child !== undefined && child.exitCode === null && child.signalCode === null
      },
      async start() {
        mkdirSync(join(dir, 'run'), { recursive: true })
        const log = join(dir, 'samba.log')
        const out = openSync(log, 'a')
        const child = spawn(
          TOOLS.ip,
          ['netns', 'exec', ns, TOOLS.samba, '-s', conf, '-i', '--no-process-group'],
          {
            stdio: ['ignore', out, out],
          },
        )
        closeSync(out)
        children.set(name, child)
        await waitUntil(() => {
          if (!self.running())
            throw new Error(`samba ${name} exited: ${readFileSync(log, 'utf8').slice(-2000)}`)
          return rootDseAnswers(run, ip)
        }, `samba ${name} to answer LDAP`)
      },
      async stop(signal = 'SIGTERM') {
        const child = children.get(name)
        if (!child || !self.running()) return
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill(signal)
        await exited
        // The workers notice their parent is gone; wait until nothing listens on the address any more.
        await waitUntil(() => !rootDseAnswers(run, ip), `samba ${name} to stop answering`)
      },
    }
    return self
  }

  const dc1 = dc('dc1', '169.254.77.11')
  const dc2 = dc('dc2', '169.254.77.12')
  const close = async () => {
    for (const d of [dc2, dc1]) await d.stop().catch(() => {})
    try {
      execFileSync(TOOLS.ip, ['netns', 'del', ns], { stdio: 'pipe' })
    } catch {}
    rmSync(netnsEtc, { recursive: true, force: true })
    // Samba's worker processes can outlive their parent for a moment and still write under the DC's
    // folder: end every process started with a path in this folder, then remove it.
    spawnSync('pkill', ['-KILL', '-f', scratch.dir])
    await waitUntil(() => spawnSync('pgrep', ['-f', scratch.dir]).status !== 0, 'samba workers to exit')
    rmSync(scratch.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  }

  try {
    execFileSync(TOOLS.ip, ['netns', 'add', ns], { stdio: 'pipe' })
    execFileSync(TOOLS.ip, ['-n', ns, 'link', 'set', 'lo', 'up'])
    for (const d of [dc1, dc2]) execFileSync(TOOLS.ip, ['-n', ns, 'addr', 'add', `${d.ip}/16`, 'dev', 'lo'])
    // `ip netns exec` mounts these over /etc/resolv.conf and /etc/hosts for what runs inside.
    mkdirSync(netnsEtc, { recursive: true })
    writeFileSync(join(netnsEtc, 'resolv.conf'), `nameserver ${dc1.ip}\n`)
    writeFileSync(
      join(netnsEtc, 'hosts'),
      `127.0.0.1 localhost\n${dc1.ip} ${dc1.host} dc1 ${DC1_ALIAS}\n${dc2.ip} ${dc2.host} dc2\n`,
    )
    const options = (d: typeof dc1) => ownFolders(d.dir, d.ip, d.name).map((o) => `--option=${o}`)
    run(TOOLS['samba-tool'], [
      'domain',
      'provision',
      `--targetdir=${dc1.dir}`,
      `--realm=${REALM.toUpperCase()}`,
      `--domain=${DOMAIN}`,
      '--server-role=dc',
      '--dns-backend=SAMBA_INTERNAL',
      '--use-rfc2307',
      `--host-name=${dc1.name}`,
      `--host-ip=${dc1.ip}`,
      `--adminpass=${adminPassword}`,
      ...options(dc1),
    ])
    // Provisioning makes dc1 forward the DNS names it does not know to the namespace's resolver: itself.
    writeFileSync(dc1.conf, readFileSync(dc1.conf, 'utf8').replace(/^\s*dns forwarder = .*\n/m, ''))
    issueCertificate(dc1, DC1_ALIAS)
    await dc1.start()
    run(TOOLS['samba-tool'], [
      'domain',
      'join',
      REALM,
      'DC',
      `--server=${dc1.host}`,
      `--targetdir=${dc2.dir}`,
      '-U',
      'Administrator',
      ...options(dc2),
    ])
    // The join leaves dc2's DNS records to dc2's first start, which cannot reach dc1's DNS in time: add them.
    const ntds = `CN=NTDS Settings,CN=DC2,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,${BASE}`
    const guid = /objectGUID: (\S+)/.exec(
      run(TOOLS.ldbsearch, [
        '-H',
        join(dc2.dir, 'private', 'sam.ldb'),
        '-b',
        ntds,
        '-s',
        'base',
        'objectGUID',
      ]),
    )?.[1]
    if (!guid) throw new Error("cannot read dc2's NTDS Settings objectGUID")
    const admin = ['-U', 'Administrator']
    run(TOOLS['samba-tool'], ['dns', 'add', dc1.name, REALM, dc2.name, 'A', dc2.ip, ...admin])
    run(TOOLS['samba-tool'], ['dns', 'add', dc1.name, `_msdcs.${REALM}`, guid, 'CNAME', dc2.host, ...admin])
    // dc1 learns of its new replication partner (to notify it of changes) when it starts.
    issueCertificate(dc2)
    await dc2.start()
  } catch (error) {
    await close()
    throw error
  }

  const tlsEnv = (d: SambaDc) => [`LDAPTLS_CACERT=${d.caFile}`]
  const passwordFile = join(scratch.dir, 'admin.password')
  writeFileSync(passwordFile, adminPassword, { mode: 0o600 })
  const asAdmin = ['-D', ADMIN_DN, '-y', passwordFile]
  const domain: SambaDomain = {
    dc1,
    dc2,
    ldif(d, text) {
      run('env', [...tlsEnv(d), TOOLS.ldapmodify, '-H', `ldap://${d.host}`, '-ZZ', '-x', ...asAdmin], text)
    },
    sambaTool: (args) => run(TOOLS['samba-tool'], [...args, '-U', 'Administrator']),
    start: (cwd, args, extraEnv = {}) =>
      startSwitchyard(cwd, args, extraEnv, [TOOLS.ip, 'netns', 'exec', ns, process.execPath]),
    cli: (cwd, args, extraEnv = {}) => domain.start(cwd, args, extraEnv).done,
    close,
  }
  return domain
}

/** Whether a DC answers an anonymous root DSE read now. */
function rootDseAnswers(run: (command: string, args: string[]) => string, ip: string): boolean {
  try {
    run(TOOLS.ldapsearch, ['-x', '-H', `ldap://${ip}`, '-b', '', '-s', 'base', '-LLL', 'dsServiceName'])
    return true
  } catch {
    return false
  }
}

/**
 * The DC's own CA and a certificate it signs for the DC's host name (subjectAltName DNS only, as AD CS
 * issues them), where Samba looks for them: made with openssl in milliseconds, where Samba's own RSA
 * key generation on first start takes many seconds.
 */
function issueCertificate(dc: SambaDc & { dir: string }, alias?: string) {
  const tls = join(dc.dir, 'private', 'tls')
  mkdirSync(tls, { recursive: true, mode: 0o700 })
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tls, stdio: 'pipe' })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    `/CN=${dc.name} test CA`,
  )
  openssl('req', ...ec, '-keyout', 'key.pem', '-out', 'cert.csr', '-subj', `/CN=${dc.host}`)
  writeFileSync(join(tls, 'san.ext'), `subjectAltName=DNS:${dc.host}${alias ? `,DNS:${alias}` : ''}\n`)
  openssl(
    'x509',
    '-req',
    '-in',
    'cert.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'cert.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  )
  chmodSync(join(tls, 'key.pem'), 0o600)
}
