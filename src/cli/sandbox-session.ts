import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeStateFolder } from '../engine/state-folder.js'
import { InvalidInputError } from '../errors.js'
import { invocation } from '../invocation.js'

/** Where `sandbox up` tells `sandbox env` (and operators) its address. */
export const sandboxFile = (stateDir: string) => join(stateDir, 'sandbox.json')

export interface SandboxRecord {
  url: string
  pid: number
  since: string
  /** Whether the slapd pair runs (absent in records of older versions: off). */
  ldap?: boolean
  /** The CA file of the DCs' StartTLS certificates, while the slapd pair runs. */
  ldapCaFile?: string
}

/**
 * Starts the demo platform (the AWS sandbox with the demo world, SQL Server, IIS, the DCs) and
 * returns the environment that points switchyard at it.
 */
export async function startDemoSandbox(port = 0, options: { seedingBytesPerSecond?: number } = {}) {
  const { startDemoPlatform, DEMO_PLATFORM } = await import('../sandbox/demo-platform.js')
  const platform = await startDemoPlatform({ awsPort: port, ...options })
  return { platform, sandbox: platform.aws, env: platform.env, zone: DEMO_PLATFORM.zone }
}

export function writeSandboxRecord(stateDir: string, record: SandboxRecord): () => void {
  makeStateFolder(stateDir)
  writeFileSync(sandboxFile(stateDir), `${JSON.stringify(record, null, 2)}\n`)
  return () => rmSync(sandboxFile(stateDir), { force: true })
}

export function readSandboxRecord(stateDir: string): SandboxRecord {
  try {
    return JSON.parse(readFileSync(sandboxFile(stateDir), 'utf8')) as SandboxRecord
  } catch {
    throw new InvalidInputError(`no sandbox is running for ${stateDir}`, {
      hint: `start one in another terminal with: ${invocation()} sandbox up`,
    })
  }
}

/** The SDK prefers a profile to the sandbox's keys, so a shell pointed at the sandbox has none. */
export const UNSET_FOR_SANDBOX = ['AWS_PROFILE']

/** Shell lines that point a shell at the sandbox. */
export const exportLines = (env: Record<string, string>) =>
  [
    ...UNSET_FOR_SANDBOX.map((name) => `unset ${name}`),
    ...Object.entries(env).map(([key, value]) => `export ${key}=${JSON.stringify(value)}`),
  ].join('\n')

/** `--sandbox`: a fresh demo platform that lives as long as this command; every client (and every program it starts) uses it. */
export async function startSandboxForCommand(options: { seedingBytesPerSecond?: number } = {}) {
  const { describePlatform } = await import('../sandbox/demo-platform.js')
  const { platform, env } = await startDemoSandbox(0, options)
  // A real profile would take precedence over the sandbox's keys in the SDK's credential chain.
  for (const name of UNSET_FOR_SANDBOX) delete process.env[name]
  Object.assign(process.env, env)
  process.stderr.write(
    `sandbox for this command:\n${describePlatform(platform)
      .map((l) => `  ${l}\n`)
      .join('')}`,
  )
  return platform
}
