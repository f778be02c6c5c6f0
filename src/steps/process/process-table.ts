import { readdirSync, readFileSync } from 'node:fs'

interface ProcStat {
  state: string
  pgid: number
  /** Clock ticks after boot (field 22). */
  startTime: string
}

/** /proc/PID/stat, or undefined where there is no /proc or the process is gone. */
function readStat(pid: number | string): ProcStat | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // Field 2 (the command name) is in parentheses and may hold spaces or ')': count from the last one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0] ?? '', pgid: Number(fields[2]), startTime: fields[19] ?? '' }
}

const hasProc = (() => {
  try {
    readdirSync('/proc/self')
    return true
  } catch {
    return false
  }
})()

/**
 * When the kernel started a process, so a pid it has since given to another process is not
 * mistaken for it. Undefined without /proc, or when the process is gone.
 */
export function processStartTime(pid: number): string | undefined {
  return readStat(pid)?.startTime
}

let boot: string | undefined
/** This boot of this machine: start times count from zero again after a reboot. */
export function bootId(): string | undefined {
  if (boot === undefined && hasProc)
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    } catch {
      boot = ''
    }
  return boot || undefined
}

/**
 * Whether a process is left in the group. Zombies do not count: they have ended, and where the
 * container's init does not reap them they would otherwise look alive for ever.
 */
export function groupExists(pgid: number): boolean {
  if (!hasProc) return signalReaches(pgid)
  if (!signalReaches(pgid)) return false
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(entry)
    if (stat?.pgid === pgid && stat.state !== 'Z') return true
  }
  return false
}

function signalReaches(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
