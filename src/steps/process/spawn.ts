import type { Readable, Writable } from 'node:stream'
import { execa, type Result } from 'execa'
import type { CommandSpec } from './command-line.js'
import { usesProcessGroups } from './process-group.js'
import { processStartTime } from './process-table.js'

/**
 * The line that holds a command until switchyard has journaled it, then becomes it (exec keeps the
 * pid and start time). If switchyard dies first, the read meets end-of-file and nothing runs.
 */
const GATE = 'IFS= read -r go <&3 || exit 125; exec 3<&-; exec "$@"'
const GATE_NAME = 'switchyard'
const GATE_EXEC_FAILED = new RegExp(`^${GATE_NAME}: (?:line )?\\d+: exec: (.+)$`, 'm')

export interface SpawnedCommand {
  subprocess: Promise<Result> & { stdout: Readable | null; stderr: Readable | null }
  pid: number | undefined
  /** The kernel's start time of the pid, read before anything could reap it. */
  startTime: string | undefined
  /** Lets the command run: call once it is journaled. */
  release(): void
}

/** Starts a command in its own process group, held at the gate where there are process groups. */
export function spawnCommand(
  spec: CommandSpec,
  options: { program: string; cwd: string; signal: AbortSignal; graceMs: number },
): SpawnedCommand {
  const stdin = spec.input === undefined ? 'ignore' : new TextEncoder().encode(spec.input)
  if (!usesProcessGroups) {
    const subprocess = execa(options.program, spec.shell ? [] : (spec.args ?? []), {
      shell: spec.shell === true,
      cwd: options.cwd,
      env: spec.env,
      stdio: [stdin, 'pipe', 'pipe'],
      buffer: false,
      reject: false,
      cancelSignal: options.signal,
      forceKillAfterDelay: options.graceMs,
    })
    return { subprocess, pid: subprocess.pid, startTime: undefined, release: () => {} }
  }
  const argv = spec.shell ? ['/bin/sh', '-c', spec.command] : [options.program, ...(spec.args ?? [])]
  const subprocess = execa('/bin/sh', ['-c', GATE, GATE_NAME, ...argv], {
    cwd: options.cwd,
    env: spec.env,
    stdio: [stdin, 'pipe', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    detached: true,
  })
  const pid = subprocess.pid
  // execa types an extra fd as output; it is a socket, and the gate reads from it.
  const gate = subprocess.stdio[3] as unknown as Writable | undefined
  // A command that ended (or was stopped) before its release makes the write fail: nothing to do.
  gate?.on('error', () => {})
  return {
    subprocess,
    pid,
    startTime: pid === undefined ? undefined : processStartTime(pid),
    release: () => gate?.end('go\n'),
  }
}

/** Why the gate could not become the command (not found, not executable), from its stderr. */
export function execFailure(exitCode: number | undefined, stderr: string): string | undefined {
  if (exitCode !== 126 && exitCode !== 127) return undefined
  return GATE_EXEC_FAILED.exec(stderr)?.[1]
}
