import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import type { AwsClients } from '../clients/aws.js'
import { InvalidInputError, SwitchyardError } from '../errors.js'
import type { Runbook } from '../runbook/model.js'

/** Reads every secret the runbook declares, at run time; values never reach the journal. */
export async function resolveSecrets(
  runbook: Runbook,
  workdir: string,
  aws: AwsClients,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {}
  for (const [name, spec] of Object.entries(runbook.secrets)) {
    const [source, ...rest] = spec.from.split(':')
    const ref = rest.join(':')
    if (source === 'env') {
      const value = process.env[ref]
      if (value === undefined)
        throw new InvalidInputError(
          `secret '${name}' comes from the environment variable ${ref}, which is not set`,
          {
            hint: `export ${ref}=... before running, or change secrets.${name}.from`,
          },
        )
      values[name] = value
    } else if (source === 'file') {
      const path = ref.startsWith('~/')
        ? join(homedir(), ref.slice(2))
        : isAbsolute(ref)
          ? ref
          : resolve(workdir, ref)
      try {
        values[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '')
      } catch (error) {
        throw new InvalidInputError(
          `secret '${name}' cannot be read from ${path}: ${(error as NodeJS.ErrnoException).code}`,
        )
      }
    } else {
      values[name] = await readParameter(aws, name, ref)
    }
  }
  return values
}

/** An SSM parameter, decrypted; a missing one or a refusal is named with the secret and the path. */
async function readParameter(aws: AwsClients, name: string, path: string): Promise<string> {
  const [ssm, { GetParameterCommand }] = await Promise.all([aws.ssm(), import('@aws-sdk/client-ssm')])
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: path, WithDecryption: true }))
    if (Parameter?.Value === undefined) throw new Error('the parameter has no value')
    return Parameter.Value
  } catch (error) {
    const code = (error as { name?: string }).name ?? 'Error'
    if (code === 'ParameterNotFound')
      throw new InvalidInputError(`secret '${name}': SSM parameter ${path} does not exist in ${aws.region}`, {
        hint: 'check the path and the region (--region or AWS_REGION)',
      })
    throw new SwitchyardError(
      `secret '${name}': cannot read SSM parameter ${path}: ${code}: ${(error as Error).message}`,
      {
        hint: 'check the AWS credentials in use (switchyard records them at run start) and their ssm:GetParameter and kms:Decrypt rights',
      },
    )
  }
}

/** Replaces every secret value, wherever it appears, with `***`. Longest first, so overlaps go whole. */
export class Redactor {
  private readonly values: string[]

  constructor(secrets: Iterable<string>) {
    this.values = [...new Set(secrets)].filter((v) => v.length > 0).sort((a, b) => b.length - a.length)
  }

  text(input: string): string {
    let out = input
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join('***')
    return out
  }

  /** A copy with every string in it redacted, keys included. */
  value<T>(input: T): T {
    if (this.values.length === 0) return input
    return this.walk(input) as T
  }

  private walk(input: unknown): unknown {
    if (typeof input === 'string') return this.text(input)
    if (Array.isArray(input)) return input.map((item) => this.walk(item))
    if (input !== null && typeof input === 'object') {
      return Object.fromEntries(Object.entries(input).map(([k, v]) => [this.text(k), this.walk(v)]))
    }
    return input
  }
}
