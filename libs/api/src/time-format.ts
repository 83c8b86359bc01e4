/**
 * Timestamps as Kubernetes writes them for people: Go's time.RFC1123Z in UTC
 * ("Mon, 02 Jan 2006 15:04:05 +0000"), used by describe and by Event messages (CronJob's
 * MissSchedule).
 * CONTRACT: pure.
 */

/** "Wed, 01 May 2024 12:00:00 +0000" (UTC). */
export function formatRfc1123z(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}
