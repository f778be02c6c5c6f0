import { Args, Flags } from '@oclif/core'

export const runbookArg = Args.string({
  name: 'runbook',
  required: true,
  description: 'Path to the runbook YAML file',
})

export const paramFlags = {
  param: Flags.string({
    char: 'p',
    multiple: true,
    multipleNonGreedy: true,
    description: 'Set a param: NAME=VALUE (repeatable; lists are comma-separated)',
    helpValue: 'NAME=VALUE',
  }),
  params: Flags.string({
    description: 'Read params from a YAML file of NAME: VALUE (flags win over the file)',
    helpValue: 'FILE',
  }),
}

export const jsonFlag = {
  json: Flags.boolean({ description: 'Print machine-readable JSON instead of text', default: false }),
}
