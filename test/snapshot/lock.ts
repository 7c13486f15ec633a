// Holds /tmp/tug-integration.lock (flock(1)) while a root-level suite runs.
import { spawn, type ChildProcess } from 'node:child_process';

export async function holdIntegrationLock(): Promise<() => void> {
  const child: ChildProcess = spawn('flock', ['/tmp/tug-integration.lock', 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`flock exited ${code}`)));
  });
  return () => {
    child.stdin!.end();
  };
}
