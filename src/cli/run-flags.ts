import { Flags } from '@oclif/core'
import { DEFAULT_STATE_DIR } from '../engine/state-dir.js'

export const stateDirFlag = {
  'state-dir': Flags.string({
    description: 'Where runs, journals and locks are kept: a folder, or s3://BUCKET/PREFIX for a team',
    default: DEFAULT_STATE_DIR,
    env: 'SWITCHYARD_STATE_DIR',
    helpValue: 'DIR|s3://BUCKET/PREFIX',
    parse: async (input) => openStateDir(input),
  }),
}

/** The sandbox's record of what it started is this machine's: always a folder, never S3. */
export const sandboxStateDirFlag = {
  'state-dir': Flags.string({
    description: 'The folder where the running sandbox is recorded',
    default: DEFAULT_STATE_DIR,
    helpValue: 'DIR',
  }),
}

export const sandboxFlag = {
  sandbox: Flags.boolean({
    description:
      'Start the local gift-card platform for this command alone (AWS stand-in, SQL Server, IIS, DCs; no AWS ' +
      'account), in its first state; to keep one world across commands, use sandbox up and sandbox env',
    default: false,
  }),
}

/** A folder is used as it is; S3 state is pulled into this machine's copy, which commands then read. */
async function openStateDir(input: string): Promise<string> {
  if (!input.startsWith('s3://')) return input
  const [{ parseS3Url }, { openS3Store }] = await Promise.all([
    import('../engine/state-store/s3-objects.js'),
    import('../engine/state-store/s3-store.js'),
  ])
  return (await openS3Store(parseS3Url(input))).folder
}

export const approvalFlags = {
  yes: Flags.boolean({
    char: 'y',
    description: 'Approve every approval gate as yourself (for CI)',
    default: false,
  }),
  approve: Flags.string({
    multiple: true,
    multipleNonGreedy: true,
    description: 'Approve this phase (or approve step) in advance; repeatable',
    helpValue: 'PHASE',
  }),
}

export const awsFlags = {
  region: Flags.string({
    description: 'AWS region (default: AWS_REGION, then the profile)',
    helpValue: 'REGION',
  }),
  profile: Flags.string({
    description: 'AWS profile from ~/.aws/config (default: AWS_PROFILE)',
    helpValue: 'NAME',
  }),
}

export const awsSettings = (flags: { region?: string | undefined; profile?: string | undefined }) => ({
  ...(flags.region ? { region: flags.region } : {}),
  ...(flags.profile ? { profile: flags.profile } : {}),
})
