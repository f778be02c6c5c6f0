// Paths an operator can get wrong at 2 a.m.: a state folder that cannot exist or cannot be written,
// a disk that fills mid-run, a file that never ends. Each ends at once with the path and a reason.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { bin, invokedPattern, switchyard, tempDir, writeRunbook } from './helpers/cli.ts'

const scratch = tempDir('hostile-paths')
after(scratch.cleanup)

const TINY = `version: 1
name: tiny
phases:
  - id: one
    steps:
      - { id: a, uses: noop }
`

// Some machines run their tests as root in a container that may not switch user, or keep the
// project where another user cannot read it. Say which, so the skip is never silent.
function unprivilegedCannotRun(cwd: string, asUser: { uid?: number; gid?: number }): string | undefined {
  if (asUser.uid === undefined) return undefined
  const probe = spawnSync(process.execPath, ['-e', 'require("node:fs").accessSync(process.argv[1])', bin], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    ...asUser,
  })
  if (probe.error) return `this machine cannot run a process as uid ${asUser.uid}: ${probe.error.message}`
  if (probe.status !== 0) return `uid ${asUser.uid} cannot read ${bin} here`
  return undefined
}

const noStackTrace = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, text)

function folder(name: string): string {
  const dir = join(scratch.dir, name)
  mkdirSync(dir, { recursive: true })
  writeRunbook(dir, TINY)
  return dir
}

describe('a state folder that cannot be used is refused with its path, exit 2', () => {
  test('--state-dir under /proc/1 (where mkdir says ENOENT) ends at once instead of spinning', {
    skip: existsSync('/proc/1') ? false : 'no /proc on this system',
  }, () => {
    const cwd = folder('proc')
    for (const args of [
      ['run', 'runbook.yaml', '--state-dir', '/proc/1/x'],
      ['sandbox', 'up', '--state-dir', '/proc/1/x'],
    ]) {
      const r = switchyard(cwd, args)
      assert.equal(r.signal, null, `${args[0]} was killed (it spun until the timeout)`)
      assert.equal(r.code, 2, r.stderr)
      assert.match(
        r.stderr,
        /cannot create the state folder \/proc\/1\/x: \/proc\/1 does not take new folders/,
      )
      assert.match(r.stderr, /hint: point --state-dir at a folder you can write to/)
      noStackTrace(r.stderr)
    }
  })

  test('--state-dir naming a file says a part of the path is a file', () => {
    const cwd = folder('file')
    writeFileSync(join(cwd, 'not-a-folder'), 'x')
    const r = switchyard(cwd, ['run', 'runbook.yaml', '--state-dir', 'not-a-folder'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(
      r.stderr,
      /cannot create the state folder .*not-a-folder.*: a part of the path is a file, not a folder/,
    )
    noStackTrace(r.stderr)
  })

  test('a state folder the operator may not write to names the folder and the reason', (t) => {
    const cwd = folder('read-only')
    const state = join(cwd, 'state')
    mkdirSync(state)
    chmodSync(state, 0o500)
    // Root ignores file modes: run the CLI as an unprivileged user, as an operator would be.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
    chmodSync(scratch.dir, 0o755)
    chmodSync(cwd, 0o755)
    const blocked = unprivilegedCannotRun(cwd, asUser)
    if (blocked) {
      t.skip(`root ignores file modes, and ${blocked}`)
      return
    }
    const r = spawnSync(process.execPath, [bin, 'run', 'runbook.yaml', '--state-dir', 'state'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NO_COLOR: '1', HOME: cwd },
      timeout: 60_000,
      ...asUser,
    })
    assert.equal(r.status, 2, r.stderr)
    assert.match(r.stderr, /cannot create the state folder .*state\/locks: permission denied \(EACCES\)/)
    noStackTrace(r.stderr)
  })
})

describe('files that never end are refused before a byte is read, exit 2', () => {
  test('run --plan /dev/zero and validate --params /dev/zero name the file', () => {
    const cwd = folder('zero')
    const plan = switchyard(cwd, ['run', 'runbook.yaml', '--plan', '/dev/zero'])
    assert.equal(plan.code, 2, plan.stderr)
    assert.match(plan.stderr, /--plan \/dev\/zero is a character device, not a regular file/)
    const params = switchyard(cwd, ['validate', 'runbook.yaml', '--params', '/dev/zero'])
    assert.equal(params.code, 2, params.stderr)
    assert.match(
      params.stderr,
      /^\/dev\/zero:1:1 error: \/dev\/zero is a character device, not a regular file/m,
    )
  })

  test('a file: secret naming /dev/zero is refused at once, naming the secret and the file', () => {
    const cwd = join(scratch.dir, 'zero-secret')
    mkdirSync(cwd, { recursive: true })
    writeRunbook(
      cwd,
      `version: 1
name: zero-secret
secrets:
  key: { from: "file:/dev/zero" }
phases:
  - id: one
    steps:
      - { id: a, uses: noop }
`,
    )
    const run = switchyard(cwd, ['run', 'runbook.yaml'])
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /secret 'key': \/dev\/zero is a character device, not a regular file/)
    noStackTrace(run.stderr)
    assert.equal(existsSync(join(cwd, '.switchyard', 'runs')), false, 'no run was started')
  })
})

/** How to mount a small tmpfs for one command: as root a mount namespace, else a user namespace too. */
function namespaceRunner(): string[] | undefined {
  for (const prefix of [
    ['unshare', '-m'],
    ['unshare', '-rm'],
  ]) {
    const [command, ...flags] = prefix as [string, string]
    const probe = spawnSync(command, [...flags, 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { stdio: 'ignore' })
    if (probe.status === 0) return prefix
  }
  return undefined
}

describe('a disk that fills during a run', () => {
  const runner = namespaceRunner()
  test('stops with exit 1 saying what is on disk, and resume finishes once space is freed', {
    skip: runner ? false : 'cannot mount a tmpfs here (neither root nor user namespaces)',
  }, () => {
    const cwd = folder('full')
    // The step fills the state folder's disk once, then prints 20 kB: its applied event cannot be written.
    writeRunbook(
      cwd,
      `version: 1
name: full
phases:
  - id: fill
    steps:
      - id: fill-disk
        uses: exec
        with:
          shell: true
          command: '[ -e filled ] || { touch filled; cat /dev/zero > "$STATE/filler" 2>/dev/null; }; head -c 20000 /dev/zero | tr "\\0" x'
          idempotent: true
      - { id: after, uses: noop, needs: [fill-disk] }
`,
    )
    const state = join(cwd, 'state')
    mkdirSync(state)
    // One namespace, so the tmpfs lives exactly as long as the two commands that use it.
    const script = `mount -t tmpfs -o size=512k tmpfs "$STATE" || exit 99
node "$BIN" run runbook.yaml --state-dir "$STATE" >first.out 2>first.err; echo $? >first.code
rm -f "$STATE/filler"
node "$BIN" resume --state-dir "$STATE" >second.out 2>second.err; echo $? >second.code`
    const [command, ...prefix] = runner as string[]
    const r = spawnSync(command as string, [...prefix, 'sh', '-c', script], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NO_COLOR: '1', STATE: state, BIN: bin },
      timeout: 120_000,
    })
    assert.equal(r.status, 0, r.stderr)
    const read = (name: string) => readFileSync(join(cwd, name), 'utf8')
    const first = read('first.err')
    assert.equal(read('first.code').trim(), '1', first)
    assert.match(first, /could not write the journal .*journal\.ndjson: the disk is full \(ENOSPC\)/)
    assert.match(first, /every complete line of the journal is on disk/)
    assert.match(first, new RegExp(`free space on that disk, then: ${invokedPattern} resume \\S+-full-`))
    noStackTrace(first)
    assert.equal(read('second.code').trim(), '0', read('second.err'))
    assert.match(read('second.out'), /run \S+ completed/)
  })
})
