import assert from 'node:assert/strict'
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { Client } from 'ldapts'
import { DEMO_PLATFORM } from '../src/sandbox/demo-platform.ts'
import { journalEvents, root, startSwitchyard, switchyard, tempDir, waitUntil } from './helpers/cli.ts'
import { slapdSkipReason } from './helpers/slapd.ts'

const scratch = tempDir('sandbox-cli')
after(scratch.cleanup)

const demo = () => {
  copyFileSync(join(root, 'runbooks', 'sandbox-shift.yaml'), join(scratch.dir, 'sandbox-shift.yaml'))
  return 'sandbox-shift.yaml'
}

describe('the sandbox from the command line', () => {
  test('run --sandbox shifts the demo record in three gated stages with no AWS account', () => {
    const result = switchyard(
      scratch.dir,
      ['run', demo(), '--sandbox', '--yes', '-p', 'bake=10ms', '--json'],
      {
        AWS_ACCESS_KEY_ID: '',
        AWS_PROFILE: 'no-such-profile',
      },
    )
    assert.equal(result.code, 0, result.stderr)
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    const planned = events.find((e) => e.type === 'step-planned' && e.step === 'shift')
    assert.deepEqual(
      planned.changes.map((c: { summary: string }) => c.summary),
      [
        'stage 1/3: onprem 100 -> 90, aws 0 -> 10, bake 10ms',
        'stage 2/3: onprem 90 -> 50, aws 10 -> 50, bake 10ms',
        'stage 3/3: onprem 50 -> 0, aws 50 -> 100, bake 10ms',
      ],
    )
    const stages = events.filter((e) => e.type === 'step-checkpoint' && e.step === 'shift')
    assert.deepEqual(
      stages.map((e) => e.data.stage),
      [0, 1, 2, 3],
    )
    assert.equal(events.at(-1).status, 'completed')
  })

  test('sandbox up serves until Ctrl-C; sandbox env points another terminal at it', async () => {
    const up = startSwitchyard(scratch.dir, ['sandbox', 'up'])
    const record = join(scratch.dir, '.switchyard', 'sandbox.json')
    await waitUntil(() => existsSync(record))
    const { url } = JSON.parse(readFileSync(record, 'utf8'))
    const env = switchyard(scratch.dir, ['sandbox', 'env'])
    assert.equal(env.code, 0, env.stderr)
    assert.match(env.stdout, new RegExp(`^export AWS_ENDPOINT_URL="${url}"$`, 'm'))
    const vars = Object.fromEntries(
      [...env.stdout.matchAll(/^export (\w+)="(.*)"$/gm)].map((m) => [m[1] as string, m[2] as string]),
    )
    const plan = switchyard(scratch.dir, ['plan', demo()], vars)
    assert.equal(plan.code, 0, plan.stderr)
    assert.match(plan.stdout, /stage 1\/3: onprem 100 -> 90, aws 0 -> 10/)
    up.child.kill('SIGINT')
    const stopped = await up.done
    assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr)
    assert.equal(existsSync(record), false)
    assert.equal(switchyard(scratch.dir, ['sandbox', 'env']).code, 2)
  })
})

/** A client doing StartTLS to a sandbox DC binds with the CA file `sandbox env` names, and is refused without it. */
async function assertDcTrustsOnlyTheSandboxCa(url: string, env: Record<string, string>) {
  const caFile = env.SWITCHYARD_SANDBOX_LDAP_CA_FILE as string
  assert.ok(caFile, JSON.stringify(env))
  const startTlsAndBind = async (tlsOptions: { ca?: Buffer[] }) => {
    const client = new Client({ url, timeout: 5000, connectTimeout: 5000 })
    try {
      await client.startTLS({ ...tlsOptions, host: '127.0.0.1' })
      await client.bind(DEMO_PLATFORM.ldap.bindDn, env.SWITCHYARD_SANDBOX_LDAP_PASSWORD as string)
    } finally {
      await client.unbind().catch(() => {})
    }
  }
  await startTlsAndBind({ ca: [readFileSync(caFile)] })
  await assert.rejects(startTlsAndBind({}), /self[- ]signed certificate/)
}

describe('the sandbox for operators who use it from several terminals', () => {
  test('sandbox up --json says where it listens; sandbox env --json the same; a terminal without it is told to run sandbox env', async () => {
    const dir = tempDir('sandbox-json')
    const up = startSwitchyard(dir.dir, ['sandbox', 'up', '--json'])
    try {
      await waitUntil(() => up.output().includes('"sandbox-started"'), 'the sandbox-started line')
      const started = JSON.parse(up.output().split('\n')[0] as string)
      assert.equal(started.pid, up.child.pid)
      const env = switchyard(dir.dir, ['sandbox', 'env', '--json'])
      assert.equal(env.code, 0, env.stderr)
      const { set, unset } = JSON.parse(env.stdout)
      assert.equal(set.AWS_ENDPOINT_URL, started.aws)
      assert.deepEqual(unset, ['AWS_PROFILE'])
      if (!slapdSkipReason) await assertDcTrustsOnlyTheSandboxCa(started.dcs['dc-onprem-1'].url, set)

      copyFileSync(join(root, 'runbooks', 'sandbox-shift.yaml'), join(dir.dir, 'sandbox-shift.yaml'))
      const forgot = switchyard(dir.dir, ['run', 'sandbox-shift.yaml', '--yes'], {
        AWS_REGION: '',
        AWS_DEFAULT_REGION: '',
        AWS_PROFILE: '',
        AWS_ENDPOINT_URL: '',
      })
      assert.equal(forgot.code, 2, forgot.stdout + forgot.stderr)
      assert.match(
        forgot.stderr,
        new RegExp(`hint: a sandbox is running \\(sandbox up, pid ${up.child.pid}\\)`),
      )
      assert.match(forgot.stderr, /eval "\$\(\S+ sandbox env\)"/)
    } finally {
      up.child.kill('SIGINT')
      await up.done
      dir.cleanup()
    }
    assert.deepEqual(JSON.parse(up.output().trim().split('\n').at(-1) as string).type, 'sandbox-stopped')
  })

  test('plan, resume and rollback take --sandbox like run', () => {
    const dir = tempDir('sandbox-flag')
    try {
      const noAws = { AWS_REGION: '', AWS_PROFILE: 'no-such-profile', AWS_ENDPOINT_URL: '' }
      copyFileSync(join(root, 'runbooks', 'sandbox-shift.yaml'), join(dir.dir, 'sandbox-shift.yaml'))
      const plan = switchyard(dir.dir, ['plan', 'sandbox-shift.yaml', '--sandbox', '-p', 'bake=10ms'], noAws)
      assert.equal(plan.code, 0, plan.stdout + plan.stderr)
      assert.match(plan.stdout, /stage 1\/3: onprem 100 -> 90, aws 0 -> 10/)
      const paused = switchyard(dir.dir, ['run', 'sandbox-shift.yaml', '--sandbox', '-p', 'bake=10ms'], noAws)
      assert.equal(paused.code, 3, paused.stdout + paused.stderr)
      const resumed = switchyard(dir.dir, ['resume', '--sandbox', '--yes'], noAws)
      assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
      assert.match(resumed.stderr, /sandbox for this command:/)
      const back = switchyard(dir.dir, ['rollback', '--to', 'start', '--sandbox', '--yes'], noAws)
      assert.equal(back.code, 0, back.stdout + back.stderr)
      assert.ok(
        journalEvents(dir.dir).some((e) => e.type === 'step-compensated' && e.step === 'shift'),
        'the shift was undone in the sandbox',
      )
    } finally {
      dir.cleanup()
    }
  })
})

// The README's flagship commands, exactly as written there; they use the sandbox's fixed ports, so they
// live in this file with the other tests that do.
describe("the README's flagship quick start", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const start = readme.indexOf('the whole gift-card cutover')
  // Up to the next section: the quick start's commands, none of the later sections'.
  const section = readme.slice(start, readme.indexOf('\n## ', start))
  const commands = [...section.matchAll(/^\.\/bin\/run\.js (.+?)(?:\s+#.*)?$/gm)].map((m) =>
    (m[1] as string).trim(),
  )
  const argv = (command: string) =>
    command.split(/\s+/).map((word) => word.replace('runbooks/', `${join(root, 'runbooks')}/`))

  test('lists the commands this test runs', () => {
    assert.deepEqual(commands, [
      'run runbooks/giftcard-cutover.yaml --sandbox --params runbooks/params/giftcard-cutover.sandbox.yaml --yes',
      'sandbox up',
      'run runbooks/giftcard-cutover.yaml --params runbooks/params/giftcard-cutover.sandbox.yaml --yes',
      'status',
      'rollback --to start --force --yes',
    ])
  })

  test('run --sandbox runs the flagship end to end', () => {
    const dir = tempDir('readme-flagship')
    try {
      const result = switchyard(dir.dir, argv(commands[0] as string), { AWS_PROFILE: 'no-such-profile' })
      assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr)
      assert.match(result.stderr, /SQL Server AG-GIFTCARD: SQL-ONPREM-1 127\.0\.0\.1,14331/)
      assert.match(
        result.stderr,
        /tsql -H 127\.0\.0\.1 -p 14331 -U migrator -P "\$SWITCHYARD_SANDBOX_SQL_PASSWORD"/,
      )
      assert.doesNotMatch(
        result.stderr + result.stdout,
        /sandbox-sql-password/,
        'the password itself is never printed',
      )
      assert.match(result.stdout, /run \S+ completed/)
    } finally {
      dir.cleanup()
    }
  })

  test('sandbox up, sandbox env, run, status, rollback --to start', async () => {
    const dir = tempDir('readme-flagship-up')
    const up = startSwitchyard(dir.dir, ['sandbox', 'up'])
    try {
      const record = join(dir.dir, '.switchyard', 'sandbox.json')
      await waitUntil(() => existsSync(record))
      const env = switchyard(dir.dir, ['sandbox', 'env'])
      assert.match(env.stdout, /^export SWITCHYARD_SANDBOX_SQL_PASSWORD="sandbox-sql-password"$/m)
      assert.match(env.stdout, /^export SWITCHYARD_SANDBOX_LDAP="(on|off)"$/m)
      const vars = Object.fromEntries(
        [...env.stdout.matchAll(/^export (\w+)="(.*)"$/gm)].map((m) => [m[1] as string, m[2] as string]),
      )
      for (const command of commands.slice(2)) {
        const result = switchyard(dir.dir, argv(command), { ...vars, AWS_PROFILE: '' })
        assert.equal(result.code, 0, `${command}\n${result.stdout.slice(-3000)}${result.stderr}`)
      }
    } finally {
      up.child.kill('SIGINT')
      await up.done
      dir.cleanup()
    }
    assert.match(up.output(), /IIS \/health: web-aws-1 \(i-[0-9a-f]+\) http:\/\/127\.0\.1\.11:18080\/health/)
  })
})
