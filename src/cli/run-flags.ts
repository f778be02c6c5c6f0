import { Flags } from '@oclif/core'
import { DEFAULT_STATE_DIR } from '../engine/state-dir.js'

export const stateDirFlag = {
  'state-dir': Flags.string({
    description: 'Where runs, journals and locks are kept',
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
