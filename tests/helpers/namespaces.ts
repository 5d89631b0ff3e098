import { spawnSync } from 'node:child_process';

/** Why PID namespaces (`unshare --pid --fork --mount-proc`) cannot be used here, or null when they can. */
export function namespacesUnavailable(): string | null {
  if (process.platform !== 'linux') return 'PID namespaces need Linux';
  if (process.getuid?.() !== 0) return 'unshare --pid needs root';
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8' });
  if (probe.error) return `unshare is missing (${probe.error.message})`;
  if (probe.status !== 0) return `unshare --pid --fork --mount-proc fails here: ${probe.stderr.trim()}`;
  return null;
}
