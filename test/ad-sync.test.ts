// ad.sync against two real OpenLDAP servers replicating with syncrepl (provider = the on-premises DC,
// consumer = the DC in AWS), and its SSM trigger against the sandbox's repadmin / Entra Connect answers.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Client } from 'ldapts'
import { AwsClients } from '../src/clients/aws.ts'
import type { SwitchyardError } from '../src/errors.ts'
import { loadRunbook } from '../src/runbook/load.ts'
import type { Target } from '../src/runbook/model.ts'
import { NOT_REPLICATED, type SeedEntry } from '../src/sandbox/ldap/slapd.ts'
import { createAdWorld } from '../src/sandbox/windows/ad.ts'
import { parseShowrepl } from '../src/steps/ad/repadmin.ts'
import { adSync } from '../src/steps/ad/sync.ts'
import type { StepImplementation } from '../src/steps/contract.ts'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { allBytes, tempDir } from './helpers/cli.ts'
import { slapdSkipReason, useSlapdPair } from './helpers/slapd.ts'
import { createStepContext } from './helpers/step-context.ts'

const SUFFIX = 'dc=corp,dc=example'
const PASSWORD = 'Dc-Admin-Pw-7f3k9q'
const CANARY = `cn=canary,ou=Migration,${SUFFIX}`
/** A canary the consumer never receives: the wait goes on until something else ends it. */
const STUCK_CANARY = `cn=stuck,ou=Migration,${SUFFIX}`

const ou = (name: string): SeedEntry => ({
  dn: `ou=${name},${SUFFIX}`,
  attributes: { objectClass: 'organizationalUnit', ou: name },
})
const person = (uid: string, base: string, extra: Record<string, string> = {}): SeedEntry => ({
  dn: `uid=${uid},${base}`,
  attributes: { objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid, ...extra },
})
const SEED: SeedEntry[] = [
  ou('People'),
  ou('Groups'),
  ou('Migration'),
  ou('Contractors'),
  ...['alice', 'bob', 'carol'].map((uid) => person(uid, `ou=People,${SUFFIX}`)),
  person('dan', `ou=Contractors,${SUFFIX}`),
  {
    dn: `cn=staff,ou=Groups,${SUFFIX}`,
    attributes: { objectClass: 'groupOfNames', cn: 'staff', member: `uid=alice,ou=People,${SUFFIX}` },
  },
  { dn: CANARY, attributes: { objectClass: 'organizationalRole', cn: 'canary' } },
  { dn: STUCK_CANARY, attributes: { objectClass: 'organizationalRole', cn: 'stuck', ou: NOT_REPLICATED } },
]

const slapd = useSlapdPair(SEED, PASSWORD)
const aws = useAwsSandbox('ad-sync')
const scratch = tempDir('ad-sync-work')
after(scratch.cleanup)

const skip = slapdSkipReason ? `slapd is not installed: ${slapdSkipReason}` : false
if (skip) console.log(`# skipping the LDAP tests of ad.sync: ${skip}`)

const ldapTarget = (url: string, extra: Partial<NonNullable<Target['ldap']>> = {}): Target => ({
  ldap: { url, bind_dn: `cn=admin,${SUFFIX}`, password: PASSWORD, insecure: true, timeout: '2s', ...extra },
})

function context(
  options: { password?: string; dryRun?: boolean; targetExtra?: Partial<NonNullable<Target['ldap']>> } = {},
) {
  const { pair } = slapd
  return createStepContext({
    workdir: scratch.dir,
    dryRun: options.dryRun,
    secrets: [PASSWORD, ...(options.password ? [options.password] : [])],
    targets: {
      'dc-onprem': ldapTarget(pair.provider.url),
      'dc-aws': ldapTarget(pair.consumer.url, {
        ...(options.password ? { password: options.password } : {}),
        ...options.targetExtra,
      }),
    },
  })
}

/** Params as a runbook would give them, validated by the step's own schema. */
function params(p: Record<string, unknown>) {
  const parsed = adSync.params.safeParse({ source: 'dc-onprem', target: 'dc-aws', ...p })
  if (!parsed.success) throw new Error(`bad params: ${JSON.stringify(parsed.error.issues)}`)
  return parsed.data
}

const implementation = () => adSync.load() as Promise<StepImplementation>

/** What a dry run and `plan` check before the step would act. */
const precondition = (step: StepImplementation) =>
  (step.precondition as NonNullable<StepImplementation['precondition']>).bind(step)

async function descriptionOn(client: Client, dn: string): Promise<string> {
  const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['description'] })
  return String(searchEntries[0]?.description ?? '')
}

async function withProvider<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const client = await slapd.pair.providerClient()
  try {
    return await use(client)
  } finally {
    await client.unbind()
  }
}

const errorOf = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  assert.fail('expected the step to fail')
}

const PEOPLE = { base: `ou=People,${SUFFIX}`, filter: '(objectClass=inetOrgPerson)' }
const GROUPS = { base: `ou=Groups,${SUFFIX}`, filter: '(objectClass=groupOfNames)' }

describe('ad.sync against two OpenLDAP servers with syncrepl', { skip }, () => {
  test('a canary written on the source reaches the target: the latency is measured and counts agree', async () => {
    const step = await implementation()
    const t = context()
    const outputs = (await step.apply(
      t.ctx,
      params({ canary: { dn: CANARY }, counts: [PEOPLE, GROUPS], timeout: '10s', poll: '5ms' }),
      {
        changes: [],
      },
    )) as { latency_ms: number; canary: { value: string }; counts: Array<Record<string, unknown>> }
    assert.ok(outputs.latency_ms > 0 && outputs.latency_ms < 10_000, `latency ${outputs.latency_ms}`)
    assert.match(outputs.canary.value, /^switchyard test-run step \d{4}-\d\d-\d\dT\S+ [0-9a-f]{8}$/)
    assert.equal(await withProvider((c) => descriptionOn(c, CANARY)), outputs.canary.value)
    assert.deepEqual(
      outputs.counts.map((c) => [c.base, c.source, c.target, c.missing_sample]),
      [
        [PEOPLE.base, 3, 3, []],
        [GROUPS.base, 1, 1, []],
      ],
    )
  })

  test('a count that differs beyond its tolerance fails, naming the base, both counts and a missing DN', async () => {
    const hidden = `uid=zed,ou=Contractors,${SUFFIX}`
    await withProvider((c) =>
      c.add(hidden, { objectClass: 'inetOrgPerson', uid: 'zed', cn: 'zed', sn: 'zed', ou: NOT_REPLICATED }),
    )
    try {
      const step = await implementation()
      const base = `ou=Contractors,${SUFFIX}`
      const error = await errorOf(
        step.apply(context().ctx, params({ counts: [{ base, filter: '(objectClass=inetOrgPerson)' }] }), {
          changes: [],
        }),
      )
      assert.match(error.message, /ou=Contractors,dc=corp,dc=example/)
      assert.match(error.message, /dc-onprem has 2, dc-aws has 1 \(tolerance 0\)/)
      assert.match(error.message, /missing on dc-aws: uid=zed,ou=Contractors,dc=corp,dc=example/)
      // Within a tolerance of one object, the same difference passes and still lists the sample.
      const passed = (await step.apply(
        context().ctx,
        params({ counts: [{ base, filter: '(objectClass=inetOrgPerson)', tolerance: 1 }] }),
        { changes: [] },
      )) as { counts: Array<{ missing_sample: string[] }> }
      assert.deepEqual(passed.counts[0]?.missing_sample, [hidden])
    } finally {
      await withProvider((c) => c.del(hidden))
    }
  })

  test('the target DC stopped while waiting for the canary fails at once, naming the DC', async () => {
    const step = await implementation()
    const t = context()
    const started = performance.now()
    const applying = errorOf(
      step.apply(t.ctx, params({ canary: { dn: STUCK_CANARY }, timeout: '60s', poll: '20ms' }), {
        changes: [],
      }),
    )
    // Stopped once the step is waiting for the canary, whatever the machine's speed.
    while (!t.progress.some((p) => p.message?.startsWith('waiting for the canary on dc-aws'))) await sleep(20)
    await slapd.pair.stopConsumer()
    const error = await applying
    const elapsed = performance.now() - started
    assert.match(
      error.message,
      new RegExp(`^dc-aws \\(${slapd.pair.consumer.url}\\) stopped answering while waiting for the canary`),
    )
    assert.ok(elapsed < 10_000, `failed after ${elapsed} ms, long before the 60s timeout`)
    assert.ok(t.progress.some((p) => p.message?.startsWith('waiting for the canary on dc-aws')))
  })

  test('as a gate, a read waits for the canary still in flight instead of writing another; once seen, the next read writes anew', async () => {
    const step = await implementation()
    const check = (step.check as NonNullable<StepImplementation['check']>).bind(step)
    const t = context()
    const stuck = params({ canary: { dn: STUCK_CANARY }, timeout: '300ms', poll: '20ms' })
    await errorOf(check(t.ctx, stuck))
    const written = await withProvider((c) => descriptionOn(c, STUCK_CANARY))
    const again = await errorOf(check(t.ctx, stuck))
    assert.match(again.message, /the canary did not reach dc-aws/)
    assert.equal(
      await withProvider((c) => descriptionOn(c, STUCK_CANARY)),
      written,
      'no second canary was written',
    )
    assert.ok(
      t.progress.some(
        (p) =>
          p.message === `waiting for the canary already in flight to dc-aws (${slapd.pair.consumer.url})`,
      ),
    )

    const healthy = params({ canary: { dn: CANARY }, timeout: '10s', poll: '20ms' })
    await check(t.ctx, healthy)
    const first = await withProvider((c) => descriptionOn(c, CANARY))
    await check(t.ctx, healthy)
    assert.notEqual(
      await withProvider((c) => descriptionOn(c, CANARY)),
      first,
      'a seen canary is not waited for again',
    )
  })

  test('a wrong password names the DC and the bind DN, and the password appears nowhere', async () => {
    const wrong = 'Wr0ng-Pw-xq81zz'
    const step = await implementation()
    const t = context({ password: wrong })
    // Started one at a time: a rejection nobody awaits yet would fail the test file on its own.
    for (const attempt of [
      () => precondition(step)(t.ctx, params({ canary: { dn: CANARY } })),
      () => step.apply(t.ctx, params({ canary: { dn: CANARY } }), { changes: [] }),
    ]) {
      const error = await errorOf(attempt())
      assert.equal(
        error.message,
        `invalid credentials for cn=admin,dc=corp,dc=example on dc-aws (${slapd.pair.consumer.url})`,
      )
      const everything = JSON.stringify({ message: error.message, stack: error.stack, progress: t.progress })
      assert.ok(!everything.includes(wrong) && !everything.includes(PASSWORD))
    }
  })

  test('a DC that is not listening fails closed, naming it', async () => {
    await slapd.pair.stopConsumer()
    const step = await implementation()
    const error = await errorOf(precondition(step)(context().ctx, params({ counts: [PEOPLE] })))
    assert.match(error.message, new RegExp(`^dc-aws \\(${slapd.pair.consumer.url}\\) cannot be reached: `))
  })

  test('the precondition binds to both DCs and plan shows the canary write and the reads; neither writes', async () => {
    const before = await withProvider((c) => descriptionOn(c, CANARY))
    const step = await implementation()
    const t = context({ dryRun: true })
    await precondition(step)(t.ctx, params({ canary: { dn: CANARY }, counts: [PEOPLE] }))
    const plan = await step.plan(t.ctx, params({ canary: { dn: CANARY }, counts: [PEOPLE] }))
    assert.equal(await withProvider((c) => descriptionOn(c, CANARY)), before)
    assert.deepEqual(
      plan.changes.map((c) => [c.action, c.target]),
      [
        ['update', `${CANARY} on dc-onprem`],
        ['read', `${PEOPLE.base} on dc-onprem and dc-aws`],
      ],
    )
    assert.match(
      plan.changes[0]?.summary ?? '',
      /^write canary description=switchyard <run> <step> <time> on dc-onprem and wait for it on dc-aws/,
    )
    const again = await step.plan(
      context({ dryRun: true }).ctx,
      params({ canary: { dn: CANARY }, counts: [PEOPLE] }),
    )
    assert.deepEqual(again, plan, 'a second plan of the unchanged world is the same')
    // Plain LDAP is allowed with insecure: true, and says so.
    assert.ok(t.warnings.some((w) => /^dc-onprem \(ldap:\/\/.*\) uses plain LDAP/.test(w)))
  })

  test('a canary object missing on the source fails the precondition with what to do', async () => {
    const step = await implementation()
    const error = await errorOf(
      precondition(step)(context().ctx, params({ canary: { dn: `cn=nope,${SUFFIX}` } })),
    )
    assert.match(error.message, /the canary object cn=nope,dc=corp,dc=example does not exist on dc-onprem/)
  })

  test('a canary attribute holding a value switchyard did not write fails the precondition: it is never overwritten', async () => {
    const owned = `cn=owned,ou=Migration,${SUFFIX}`
    await withProvider((c) =>
      c.add(owned, {
        objectClass: 'organizationalRole',
        cn: 'owned',
        description: 'Finance printer, room 4',
      }),
    )
    try {
      const step = await implementation()
      const error = (await errorOf(
        precondition(step)(context().ctx, params({ canary: { dn: owned } })),
      )) as SwitchyardError
      assert.match(
        error.message,
        /the canary's description on cn=owned,.* holds "Finance printer, room 4", which switchyard did not write/,
      )
      assert.match(error.hint ?? '', /dedicated object/)
      assert.equal(await withProvider((c) => descriptionOn(c, owned)), 'Finance printer, room 4')
    } finally {
      await withProvider((c) => c.del(owned))
    }
  })

  test('a canary write the DC refuses says why, by its LDAP code, and what to do', async () => {
    const step = await implementation()
    const error = (await errorOf(
      step.apply(context().ctx, params({ canary: { dn: CANARY, attribute: 'noSuchAttr' } }), { changes: [] }),
    )) as SwitchyardError
    assert.match(
      error.message,
      /^could not write the canary noSuchAttr on cn=canary,.*: the DC's schema has no attribute noSuchAttr/,
    )
    assert.match(error.hint ?? '', /use an attribute the object class has/)
  })
})

describe('ad.sync params', () => {
  test('need a canary or counts, one of class or filter, and distinct DCs', () => {
    const issues = (p: Record<string, unknown>) =>
      adSync.params.safeParse({ source: 'a', target: 'b', ...p }).error?.issues.map((i) => i.message) ?? []
    assert.match(issues({}).join(), /needs a canary, counts, or both/)
    assert.match(
      issues({ counts: [{ base: 'dc=x', class: 'user', filter: '(a=b)' }] }).join(),
      /exactly one of class or filter/,
    )
    assert.match(
      issues({ counts: [{ base: 'dc=x', class: 'user', tolerance: '5 percent' }] }).join(),
      /tolerance/,
    )
    assert.match(
      adSync.params.safeParse({ source: 'a', target: 'a', canary: { dn: 'cn=x' } }).error?.message ?? '',
      /same target/,
    )
    assert.deepEqual(issues({ counts: [{ base: 'dc=x', class: 'computer', tolerance: '1%' }] }), [])
    const fiftyOne = Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(17, '0')}`)
    assert.match(
      issues({ canary: { dn: 'cn=x' }, trigger: { instances: fiftyOne } }).join(),
      /a trigger runs on at most 50 servers/,
    )
  })

  test('a plain ldap:// target without insecure: true is refused when the runbook loads', () => {
    const dir = join(scratch.dir, 'plain')
    writeRunbookFile(dir, { source: 'ldap://dc01.corp.example:389', target: 'ldaps://dc02.corp.example' })
    const { diagnostics } = loadRunbook({ file: join(dir, 'runbook.yaml') })
    assert.match(diagnostics.map((d) => d.message).join('\n'), /plain ldap:\/\/ sends the password in clear/)
  })
})

function writeRunbookFile(
  dir: string,
  urls: { source: string; target: string },
  extra = '',
  canary = CANARY,
) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'runbook.yaml'),
    `version: 1
name: ad-sync-check
secrets:
  dc_password: { from: env:DC_PASSWORD }
targets:
  dc-onprem: { ldap: { url: "${urls.source}", bind_dn: "cn=admin,${SUFFIX}", password: "\${{ secrets.dc_password }}"${extra} } }
  dc-aws: { ldap: { url: "${urls.target}", bind_dn: "cn=admin,${SUFFIX}", password: "\${{ secrets.dc_password }}"${extra} } }
phases:
  - id: verify
    steps:
      - id: directory
        uses: ad.sync
        with:
          source: dc-onprem
          target: dc-aws
          canary: { dn: "${canary}" }
          counts: [{ base: "ou=People,${SUFFIX}", filter: "(objectClass=inetOrgPerson)" }]
          timeout: 10s
          poll: 10ms
`,
  )
}

describe('ad.sync trigger through SSM (sandbox repadmin and Entra Connect)', { skip }, () => {
  function triggerContext() {
    const t = context()
    process.env.AWS_ACCESS_KEY_ID = 'sandbox'
    process.env.AWS_SECRET_ACCESS_KEY = 'sandbox'
    ;(t.ctx as { aws: AwsClients }).aws = new AwsClients({ region: 'us-east-1', endpoint: aws.sandbox.url })
    const ad = createAdWorld()
    const remove = aws.sandbox.world.ssm.respond(ad.responder)
    return { t, ad, remove }
  }
  const instance = () => aws.sandbox.world.ec2.addInstance().id

  test('healthy repadmin output passes, then the canary round runs', async () => {
    const { t, ad, remove } = triggerContext()
    try {
      const dc = instance()
      ad.addDomainController(dc, {
        name: 'DC01',
        partners: [{ dc: 'DC02' }, { dc: 'AWSDC01', site: 'AWS-us-east-1' }],
      })
      const step = await implementation()
      const outputs = (await step.apply(
        t.ctx,
        params({ trigger: { instances: [dc] }, canary: { dn: CANARY }, timeout: '10s', poll: '10ms' }),
        { changes: [] },
      )) as {
        trigger: { instances: Record<string, { links: number; failing: string[] }> }
        latency_ms: number
      }
      assert.deepEqual(outputs.trigger.instances[dc], { links: 6, failing: [] })
      assert.ok(outputs.latency_ms > 0)
    } finally {
      remove()
    }
  })

  test('a failing replication partner fails the step, listing the source DSA and its status', async () => {
    const { t, ad, remove } = triggerContext()
    try {
      const dc = instance()
      ad.addDomainController(dc, {
        name: 'DC01',
        partners: [{ dc: 'DC02' }, { dc: 'AWSDC01', site: 'AWS-us-east-1', status: 1722, failures: 4 }],
      })
      ad.addDomainController(instance(), { name: 'DC03', partners: [], unreachable: 1722 })
      const before = await withProvider((c) => descriptionOn(c, CANARY))
      const step = await implementation()
      const error = await errorOf(
        step.apply(t.ctx, params({ trigger: { instances: [dc] }, canary: { dn: CANARY } }), { changes: [] }),
      )
      assert.match(error.message, /^repadmin \/syncall \/AdeP reported failures/)
      assert.match(
        error.message,
        /DC01 <- AWSDC01 \(AWS-us-east-1\) DC=corp,DC=example: 4 failure\(s\), last status 1722 \(The RPC server is unavailable\)/,
      )
      assert.match(error.message, /DC03: repadmin could not read its replication status: 1722/)
      assert.equal(
        await withProvider((c) => descriptionOn(c, CANARY)),
        before,
        'no canary after a failed trigger',
      )
    } finally {
      remove()
    }
  })

  test('an Entra Connect server in staging mode is refused; an active one runs a delta cycle', async () => {
    const { t, ad, remove } = triggerContext()
    try {
      const staging = instance()
      const active = instance()
      ad.addEntraConnect(staging, { staging: true })
      ad.addEntraConnect(active)
      const step = await implementation()
      const error = await errorOf(
        step.apply(
          t.ctx,
          params({ trigger: { instances: [staging], method: 'entra-delta' }, counts: [PEOPLE] }),
          {
            changes: [],
          },
        ),
      )
      assert.match(error.message, new RegExp(`${staging}: refused: Entra Connect is in staging mode`))
      const outputs = (await step.apply(
        t.ctx,
        params({ trigger: { instances: [active], method: 'entra-delta' }, counts: [PEOPLE] }),
        { changes: [] },
      )) as { trigger: { method: string } }
      assert.equal(outputs.trigger.method, 'entra-delta')
    } finally {
      remove()
    }
  })
})

describe('repadmin /showrepl CSV', () => {
  test('skips the banner, reads quoted naming contexts, and keeps error rows', () => {
    const links = parseShowrepl(
      [
        'repadmin running command /showrepl against full DC dc01.corp.example',
        'showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,Last Failure Status',
        'showrepl_INFO,HQ,DC01,"DC=corp,DC=example",HQ,DC02,RPC,0,0,2024-05-14 09:41:07,0',
        'showrepl_INFO,HQ,DC01,"DC=corp,DC=example",AWS,AWSDC01,RPC,2,2024-05-14 09:58:33,2024-05-14 09:41:07,8453',
        'showrepl_ERROR,HQ,DC03,,,,,,,,1722',
      ].join('\r\n'),
    )
    assert.deepEqual(
      links.map((l) => [l.kind, l.destination, l.namingContext, l.source, l.failures, l.status]),
      [
        ['showrepl_INFO', 'DC01', 'DC=corp,DC=example', 'DC02', 0, 0],
        ['showrepl_INFO', 'DC01', 'DC=corp,DC=example', 'AWSDC01', 2, 8453],
        ['showrepl_ERROR', 'DC03', '', '', 0, 1722],
      ],
    )
  })
})

describe('ad.sync from the CLI', { skip }, () => {
  test('a runbook with ldap targets and an env secret passes; the secret is in no output and no state', async () => {
    const dir = join(scratch.dir, 'cli')
    const { pair } = slapd
    writeRunbookFile(dir, { source: pair.provider.url, target: pair.consumer.url }, ', insecure: true')
    const result = await aws.switchyard(dir, ['run', 'runbook.yaml'], { DC_PASSWORD: PASSWORD })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout + result.stderr, /directory/)
    assert.ok(!(result.stdout + result.stderr).includes(PASSWORD))
    assert.ok(!allBytes(join(dir, '.switchyard')).includes(PASSWORD))
  })

  /** A dry run and `plan` of the CLI runbook in a fresh folder, with nothing written to either DC by them. */
  async function rehearse(folder: string, password: string, canary = CANARY) {
    const dir = join(scratch.dir, folder)
    const urls = { source: slapd.pair.provider.url, target: slapd.pair.consumer.url }
    writeRunbookFile(dir, urls, ', insecure: true', canary)
    const before = await slapd.pair.snapshotState()
    const dryRun = await aws.switchyard(dir, ['run', 'runbook.yaml', '--dry-run'], { DC_PASSWORD: password })
    const plan = await aws.switchyard(dir, ['plan', 'runbook.yaml'], { DC_PASSWORD: password })
    assert.deepEqual(await slapd.pair.snapshotState(), before, 'neither directory changed')
    assert.equal(existsSync(join(dir, '.switchyard', 'runs')), false, 'no run was journaled')
    return { dryRun, plan }
  }

  test('a dry run and plan bind to both DCs and find the canary: the check passes', async () => {
    const { dryRun, plan } = await rehearse('cli-rehearsal-ok', PASSWORD)
    assert.equal(dryRun.code, 0, dryRun.stdout + dryRun.stderr)
    assert.match(dryRun.stdout, /1 check\(s\) pass today/)
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    assert.doesNotMatch(plan.stdout, /would fail today/)
  })

  test('a wrong password is what would fail today, naming the DC; the dry run exits 1', async () => {
    const wrong = 'Wr0ng-Pw-cli-4k2j'
    const { dryRun, plan } = await rehearse('cli-rehearsal-password', wrong)
    assert.equal(dryRun.code, 1, dryRun.stdout + dryRun.stderr)
    const bindFailed = new RegExp(
      `would fail today: invalid credentials for cn=admin,dc=corp,dc=example on dc-onprem \\(${slapd.pair.provider.url}\\)`,
    )
    assert.match(dryRun.stdout, bindFailed)
    assert.match(plan.stdout, bindFailed)
    assert.ok(!(dryRun.stdout + dryRun.stderr + plan.stdout + plan.stderr).includes(wrong))
  })

  test('a canary whose container is missing on the source is what would fail today, naming the DC', async () => {
    const { dryRun, plan } = await rehearse(
      'cli-rehearsal-container',
      PASSWORD,
      `cn=canary,ou=Gone,${SUFFIX}`,
    )
    assert.equal(dryRun.code, 1, dryRun.stdout + dryRun.stderr)
    const missing = new RegExp(
      `would fail today: the canary's container ou=Gone,dc=corp,dc=example does not exist on dc-onprem \\(${slapd.pair.provider.url}\\)`,
    )
    assert.match(dryRun.stdout, missing)
    assert.match(plan.stdout, missing)
  })
})
