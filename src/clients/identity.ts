import { SwitchyardError } from '../errors.js'
import { type AwsClients, AwsNotConfiguredError } from './aws.js'

/** Who AWS thinks is acting (the STS caller ARN): journaled at run start and written into the lock. */
export async function callerIdentity(aws: AwsClients): Promise<string> {
  const [sts, { GetCallerIdentityCommand }] = await Promise.all([aws.sts(), import('@aws-sdk/client-sts')])
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}))
    return identity.Arn ?? `account ${identity.Account}`
  } catch (error) {
    const code = (error as { name?: string }).name ?? 'Error'
    if (code === 'CredentialsProviderError')
      throw new AwsNotConfiguredError(
        `no AWS credentials: ${(error as Error).message}`,
        'pass --profile, set AWS_PROFILE, or export credentials before a run that uses AWS',
        error,
      )
    throw new SwitchyardError(
      `cannot tell which AWS identity would act: ${code}: ${(error as Error).message}`,
      {
        hint: 'check the credentials (--profile, AWS_PROFILE, or the environment) before a run that uses AWS',
      },
    )
  }
}
