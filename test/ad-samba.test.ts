// ad.sync through the built CLI against two real Active Directory domain controllers: Samba AD DCs in one
// domain, replicating over DRS (dc1 = the on-premises DC, dc2 = the DC in AWS). See test/helpers/samba.ts.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { allBytes, scratchSpace, waitUntil } from './helpers/cli.ts'
import { ADMIN_DN, BASE, DC1_ALIAS, type SambaDc, unicodePwd, useSambaDomain } from './helpers/samba.ts'

const ADMIN_PASSWORD = 'Samba-Adm1n-7q4z'
const ACCOUNT_PASSWORD = 'Svc-Acc0unt-3m8w'
const STAFF = `OU=Staff,${BASE}`
const MIGRATION = `OU=Migration,${BASE}`
const CANARY = `CN=switchyard-canary,${MIGRATION}`
const USERS = 1200

const account = (name: string, extra: string[] = []) =>
  [
    `dn: CN=${name},CN=Users,${BASE}`,
    'changetype: add',
    'objectClass: user',
    `sAMAccountName: ${name}`,
    `unicodePwd:: ${unicodePwd(ACCOUNT_PASSWORD)}`,
    ...extra,
    '',
  ].join('\n')

/** What the tests bind as: the service accounts a real migration would be given, and broken ones. */
const ACCOUNTS = [
  account('svc-reader', ['userAccountControl: 512']),
  account('svc-disabled', ['userAccountControl: 514']),
  account('svc-newpw', ['userAccountControl: 512', 'pwdLastSet: 0']),
  account('svc-expired', ['userAccountControl: 512', 'accountExpires: 1']),
]

function seedLdif(): string {
  const entries = [
    `dn: ${STAFF}\nchangetype: add\nobjectClass: organizationalUnit\n`,
    `dn: ${MIGRATION}\nchangetype: add\nobjectClass: organizationalUnit\n`,
    `dn: ${CANARY}\nchangetype: add\nobjectClass: contact\n`,
    ...ACCOUNTS,
  ]
  for (let i = 0; i < USERS; i++)
    entries.push(
      `dn: CN=user${String(i).padStart(4, '0')},${STAFF}\nchangetype: add\nobjectClass: user\nsAMAccountName: user${String(i).padStart(4, '0')}\n`,
    )
  return entries.join('\n')
}

const samba = useSambaDomain({
  adminPassword: ADMIN_PASSWORD,
  seed: (domain) => domain.ldif(domain.dc1, seedLdif()),
})
const skip = samba.skipReason ?? false
if (skip) console.log(`# skipping the Samba AD tests of ad.sync: ${skip}`)
const scratch = scratchSpace('ad-samba')
after(() => scratch.cleanup())

interface Side {
  dc: SambaDc
  /** ldaps (default), ldap with StartTLS, or plain ldap (insecure: true). */
  mode?: 'ldaps' | 'starttls' | 'plain'
  bindDn?: string
  /** Which env variable holds the password. */
  passwordEnv?: string
  /** Connect by address instead of by name. */
  byIp?: boolean
}

const ldapTarget = (side: Side) => {
  const host = side.byIp ? side.dc.ip : side.dc.host
  const url = side.mode === 'starttls' || side.mode === 'plain' ? `ldap://${host}` : `ldaps://${host}`
  const target = {
    url,
    bind_dn: side.bindDn ?? ADMIN_DN,
    password: `\${{ secrets.${side.passwordEnv ?? 'ADMIN_PASSWORD'} }}`,
    ca_file: side.dc.caFile,
    timeout: '5s',
    ...(side.mode === 'starttls' ? { starttls: true } : {}),
    ...(side.mode === 'plain' ? { insecure: true } : {}),
  }
  return JSON.stringify({ ldap: target })
}

/** A runbook with one ad.sync step from `source` to `target`, in a fresh folder; returns the folder. */
function workspace(source: Side, target: Side, step: Record<string, unknown>): string {
  const dir = scratch.workspace()
  const secrets = [...new Set([source.passwordEnv, target.passwordEnv, 'ADMIN_PASSWORD', 'ACCOUNT_PASSWORD'])]
    .filter(Boolean)
    .map((name) => `  ${name}: { from: "env:${name}" }`)
  writeFileSync(
    join(dir, 'runbook.yaml'),
    `version: 1
name: ad-samba
secrets:
${secrets.join('\n')}
targets:
  dc-onprem: ${ldapTarget(source)}
  dc-aws: ${ldapTarget(target)}
phases:
  - id: verify
    steps:
      - id: directory
        uses: ad.sync
        retry: { attempts: 1 }
        with: ${JSON.stringify({ source: 'dc-onprem', target: 'dc-aws', ...step })}
`,
  )
  return dir
}

const passwords = { ADMIN_PASSWORD, ACCOUNT_PASSWORD }
const cli = (dir: string, args: string[]) => samba.domain.cli(dir, args, passwords)
const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

/** Nothing the CLI printed or kept names a password. */
function assertNoPasswords(dir: string, ...results: Array<{ stdout: string; stderr: string }>) {
  const text = results.map(output).join('\n') + allBytes(dir)
  for (const password of Object.values(passwords)) assert.ok(!text.includes(password), 'a password leaked')
}

const COUNT_STAFF = { base: STAFF, class: 'user', sample: 3 }
const dnOf = (name: string) => `CN=${name},CN=Users,${BASE}`
const eventsOf = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** `plan` of a one-step runbook: its exit code and what it printed. */
async function plan(source: Side, target: Side, step: Record<string, unknown>) {
  const dir = workspace(source, target, step)
  const result = await cli(dir, ['plan', 'runbook.yaml'])
  assertNoPasswords(dir, result)
  return result
}

describe('ad.sync against two Samba AD domain controllers', { skip }, () => {
  test('over LDAPS with each DC its own CA, the canary reaches dc2 with matching replication metadata, and 1,200 users count the same', async () => {
    const { dc1, dc2 } = samba.domain
    const dir = workspace(
      { dc: dc1 },
      { dc: dc2 },
      {
        canary: { dn: CANARY },
        counts: [COUNT_STAFF],
        timeout: '2m',
        poll: '100ms',
      },
    )
    const result = await cli(dir, ['run', 'runbook.yaml', '--json'])
    assert.equal(result.code, 0, output(result))
    const applied = eventsOf(result.stdout).find((e) => e.type === 'step-applied')
    const outputs = applied?.outputs as {
      counts: Array<{ source: number; target: number }>
      replication_metadata?: { same_write: boolean; source: { version: number } }
    }
    assert.deepEqual(
      outputs.counts.map((c) => [c.source, c.target]),
      [[USERS, USERS]],
    )
    assert.equal(outputs.replication_metadata?.same_write, true, JSON.stringify(outputs.replication_metadata))
    assertNoPasswords(dir, result)
  })

  test('over StartTLS by host name with each DC its own CA, plan binds to both and the checks pass', async () => {
    const { dc1, dc2 } = samba.domain
    const result = await plan(
      { dc: dc1, mode: 'starttls' },
      { dc: dc2, mode: 'starttls' },
      {
        canary: { dn: CANARY },
        timeout: '2m',
      },
    )
    assert.equal(result.code, 0, output(result))
    assert.match(
      result.stdout,
      /write canary description=switchyard <run> <step> <time> on dc-onprem .*expected within seconds: both DCs are in site Default-First-Site-Name/,
    )
  })

  test("StartTLS by IP checks the DC's certificate against that IP, not localhost: a certificate for the host name is refused", async () => {
    const { dc1, dc2 } = samba.domain
    const result = await plan(
      { dc: dc1, mode: 'starttls', byIp: true },
      { dc: dc2 },
      { counts: [COUNT_STAFF] },
    )
    assert.equal(result.code, 1, output(result))
    assert.match(
      result.stdout,
      new RegExp(
        `dc-onprem \\(ldap://${dc1.ip.replaceAll('.', '\\.')}\\): the DC's certificate is not trusted: .*${dc1.ip.replaceAll('.', '\\.')}.*ERR_TLS_CERT_ALTNAME_INVALID`,
      ),
    )
  })

  test("a failed bind says AD's reason and what to do: wrong password, disabled, must change password, expired", async () => {
    const { dc1, dc2 } = samba.domain
    const cases: Array<[string, string, RegExp]> = [
      ['svc-reader', 'WRONG_PASSWORD', /the password is wrong \(AD data 52e\)/],
      ['svc-disabled', 'ACCOUNT_PASSWORD', /the account is disabled \(AD data 533\)/],
      ['svc-newpw', 'ACCOUNT_PASSWORD', /the password must be changed before first logon \(AD data 773\)/],
      ['svc-expired', 'ACCOUNT_PASSWORD', /the account has expired \(AD data 701\)/],
    ]
    for (const [name, passwordEnv, reason] of cases) {
      const dir = workspace(
        { dc: dc1, bindDn: dnOf(name), passwordEnv },
        { dc: dc2 },
        { counts: [COUNT_STAFF] },
      )
      const result = await samba.domain.cli(dir, ['plan', 'runbook.yaml'], {
        ...passwords,
        WRONG_PASSWORD: 'Not-The-Pw-1x',
      })
      assert.equal(result.code, 1, output(result))
      assert.match(
        result.stdout,
        new RegExp(`would fail today: invalid credentials for ${dnOf(name)} on dc-onprem`),
      )
      assert.match(result.stdout, reason, `${name}: ${result.stdout}`)
      assertNoPasswords(dir, result)
    }
  })

  test('plan catches a canary the bind account may not write (LDAP 50), an attribute not in the schema (16) and one too short (21)', async () => {
    const { dc1, dc2 } = samba.domain
    const reader = { dc: dc1, bindDn: dnOf('svc-reader'), passwordEnv: 'ACCOUNT_PASSWORD' }
    const noRight = await plan(reader, { dc: dc2 }, { canary: { dn: CANARY }, timeout: '2m' })
    assert.equal(noRight.code, 1, output(noRight))
    assert.match(
      noRight.stdout,
      /would fail today: the canary write would fail on dc-onprem .*: CN=svc-reader,.* may not write description of CN=switchyard-canary,.*\(insufficient access rights, LDAP 50\)/,
    )
    assert.match(noRight.stdout, /grant CN=svc-reader,.* Write description/)

    const unknown = await plan(
      { dc: dc1 },
      { dc: dc2 },
      { canary: { dn: CANARY, attribute: 'switchyardNote' }, timeout: '2m' },
    )
    assert.equal(unknown.code, 1, output(unknown))
    assert.match(unknown.stdout, /the DC's schema has no attribute switchyardNote usable on .*\(LDAP 16\)/)

    const short = await plan(
      { dc: dc1 },
      { dc: dc2 },
      { canary: { dn: CANARY, attribute: 'initials' }, timeout: '2m' },
    )
    assert.equal(short.code, 1, output(short))
    assert.match(
      short.stdout,
      /refused the value for initials: too long .*\(LDAP 21\): it holds at most 6 characters, the canary value needs \d+/,
    )
  })

  test('plain LDAP on a DC that requires transport encryption says to use LDAPS or StartTLS, not a bare code', async () => {
    const { dc1, dc2 } = samba.domain
    const result = await plan({ dc: dc1, mode: 'plain' }, { dc: dc2 }, { counts: [COUNT_STAFF] })
    assert.equal(result.code, 1, output(result))
    assert.match(
      result.stdout,
      /would fail today: dc-onprem \(ldap:\/\/dc1\.corp\.example\) refused a bind over plain LDAP: the DC requires LDAPS or StartTLS/,
    )
    assert.match(result.stdout, /use ldaps:\/\/ \(port 636\) or starttls: true/)
  })

  test('the same DC under two names is refused by its root DSE identity', async () => {
    const { dc1 } = samba.domain
    const alias = { ...dc1, host: DC1_ALIAS }
    const result = await plan({ dc: dc1 }, { dc: alias }, { counts: [COUNT_STAFF] })
    assert.equal(result.code, 1, output(result))
    assert.match(
      result.stdout,
      /dc-onprem \(ldaps:\/\/dc1\.corp\.example\) and dc-aws \(ldaps:\/\/ldap\.corp\.example\) are the same domain controller \(dc1\.corp\.example\)/,
    )
  })

  test('with inbound replication stopped on dc2, the canary times out and counts list the missing DNs; a DC killed mid-poll is named', async () => {
    const { domain } = samba
    const { dc1, dc2 } = domain
    domain.sambaTool(['drs', 'options', dc2.host, '--dsa-option=+DISABLE_INBOUND_REPL'])
    try {
      const late = ['late-a', 'late-b'].map(
        (n) => `dn: CN=${n},${STAFF}\nchangetype: add\nobjectClass: user\nsAMAccountName: ${n}\n`,
      )
      domain.ldif(dc1, late.join('\n'))
      const stuck = workspace(
        { dc: dc1 },
        { dc: dc2 },
        { canary: { dn: CANARY }, counts: [COUNT_STAFF], timeout: '3s', poll: '200ms' },
      )
      const timedOut = await cli(stuck, ['run', 'runbook.yaml'])
      assert.equal(timedOut.code, 1, output(timedOut))
      assert.match(
        timedOut.stdout,
        /the canary did not reach dc-aws \(ldaps:\/\/dc2\.corp\.example\) within 3s/,
      )

      const counts = workspace({ dc: dc1 }, { dc: dc2 }, { counts: [COUNT_STAFF] })
      const differ = await cli(counts, ['run', 'runbook.yaml'])
      assert.equal(differ.code, 1, output(differ))
      assert.match(
        differ.stdout,
        new RegExp(
          `dc-onprem has ${USERS + 2}, dc-aws has ${USERS} .*missing on dc-aws: CN=late-a,${STAFF}; CN=late-b,${STAFF}`,
        ),
      )

      const waiting = workspace(
        { dc: dc1 },
        { dc: dc2 },
        { canary: { dn: CANARY }, timeout: '5m', poll: '200ms' },
      )
      const running = domain.start(waiting, ['run', 'runbook.yaml'], passwords)
      await waitUntil(() => running.output().includes('waiting for the canary on dc-aws'), 'the canary wait')
      await dc2.stop('SIGKILL')
      const killed = await running.done
      assert.equal(killed.code, 1, killed.stdout + killed.stderr)
      assert.match(
        killed.stdout,
        /dc-aws \(ldaps:\/\/dc2\.corp\.example\) stopped answering while waiting for the canary/,
      )
      assertNoPasswords(waiting, killed)
    } finally {
      if (!dc2.running()) await dc2.start()
      domain.sambaTool(['drs', 'options', dc2.host, '--dsa-option=-DISABLE_INBOUND_REPL'])
    }
  })
})
