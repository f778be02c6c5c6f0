import type { LoadOptions, LoadResult } from '../runbook/load.js'
import type { Runbook } from '../runbook/model.js'

export interface RunbookFlags {
  param?: string[]
  params?: string
}

export function loadOptions(file: string, flags: RunbookFlags, requireParams?: boolean): LoadOptions {
  return {
    file,
    paramFlags: flags.param ?? [],
    ...(flags.params === undefined ? {} : { paramsFile: flags.params }),
    ...(requireParams === undefined ? {} : { requireParams }),
  }
}

export async function load(options: LoadOptions): Promise<LoadResult & { runbook?: Runbook }> {
  const { loadRunbook } = await import('../runbook/load.js')
  return loadRunbook(options)
}
