import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import type { AwsClients } from '../clients/aws.js'
import { InvalidInputError, SwitchyardError } from '../errors.js'
import { describeInputProblem, readInputFile } from '../runbook/input-file.js'
import type { Runbook } from '../runbook/model.js'
import { MIN_SECRET_LENGTH } from './secret-forms.js'

/** A key or a certificate chain fits with room to spare; /dev/zero never will. */
const MAX_SECRET_FILE_BYTES = 1024 * 1024

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
      const read = readInputFile(path, MAX_SECRET_FILE_BYTES)
      if (!('bytes' in read))
        throw new InvalidInputError(
          `secret '${name}': ${describeInputProblem(read, path, MAX_SECRET_FILE_BYTES)}`,
          { hint: `point secrets.${name}.from at the file that holds the secret` },
        )
      values[name] = read.bytes.toString('utf8').replace(/\r?\n$/, '')
    } else {
      values[name] = await readParameter(aws, name, ref)
    }
    refuseShortSecret(name, spec.from, values[name] ?? '')
  }
  return values
}

/** A value too short to redact safely stops the command before anything runs; its value is never quoted. */
function refuseShortSecret(name: string, from: string, value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) return
  throw new InvalidInputError(
    `secret '${name}' (from ${from}) is shorter than ${MIN_SECRET_LENGTH} characters: switchyard cannot hide it in what it shows without mangling everything else`,
    {
      hint: `use a real secret of at least ${MIN_SECRET_LENGTH} characters; a value that is not secret belongs in params`,
    },
  )
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
