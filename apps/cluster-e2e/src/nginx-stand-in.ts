/**
 * The nginx stand-in the end-to-end specs run where the Kubernetes docs run nginx (no public
 * registry here): built from TEST_IMAGE (busybox), /usr/sbin/nginx runs busybox httpd on port 80
 * over /usr/share/nginx/html (index.html says "Welcome to nginx!"), and `nginx -s quit|stop`
 * stops the running one as nginx's does. Not a spec itself.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_IMAGE } from '@skiff/testing';

/** The stand-in in the local registry, so that pods pull it as users' pods would. */
export const NGINX_STAND_IN = '127.0.0.1:5000/skiff/nginx:latest';

/**
 * Builds the stand-in from TEST_IMAGE as NGINX_STAND_IN (pushed to the local registry) and as
 * each of `localTags` (left in the host's Docker only: an image of a public name such as
 * `registry.k8s.io/nginx-slim:0.24`, which kubelets sharing that Docker find present and, with
 * imagePullPolicy IfNotPresent, never pull). Docker's cache makes a rebuild cheap.
 */
export function buildNginxStandIn(...localTags: string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-nginx-'));
  try {
    writeFileSync(
      join(dir, 'nginx'),
      [
        '#!/bin/sh',
        '# nginx stand-in: busybox httpd serving /usr/share/nginx/html on port 80; "nginx -s quit|stop" stops the running one.',
        'if [ "$1" = -s ]; then kill -QUIT 1; exit 0; fi',
        "trap 'kill $pid; exit 0' TERM QUIT INT",
        'httpd -f -p 80 -h /usr/share/nginx/html & pid=$!',
        'wait',
        '',
      ].join('\n'),
    );
    chmodSync(join(dir, 'nginx'), 0o755);
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        `FROM ${TEST_IMAGE}`,
        'COPY nginx /usr/sbin/nginx',
        "RUN mkdir -p /usr/share/nginx/html && echo 'Welcome to nginx!' > /usr/share/nginx/html/index.html",
        'ENV PATH=/usr/sbin:/bin',
        'EXPOSE 80',
        'CMD ["nginx"]',
        '',
      ].join('\n'),
    );
    const tags = [NGINX_STAND_IN, ...localTags].flatMap((tag) => ['-t', tag]);
    execFileSync('docker', ['build', '-q', ...tags, dir], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    execFileSync('docker', ['push', NGINX_STAND_IN], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
