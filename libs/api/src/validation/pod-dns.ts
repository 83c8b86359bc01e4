/**
 * Validation of a pod's DNS settings: spec.dnsPolicy and spec.dnsConfig, as Kubernetes'
 * validateDNSPolicy and validatePodDNSConfig (with the relaxed search-domain rules that are
 * Kubernetes' default since 1.33: "." and '_' are allowed). The limits are glibc's resolver's.
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { PodDNSConfig, PodSpec } from '../gen';
import { checkDns1123SubdomainWithUnderscore, isIP } from '../names';
import { checkEnum, invalid, invalidEach, required, type Errors } from './field-errors';

export const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
/** At most this many nameservers in a resolv.conf (glibc's MAXNS). */
export const MAX_DNS_NAMESERVERS = 3;
/** At most this many search domains. */
export const MAX_DNS_SEARCH_PATHS = 32;
/** The search list, joined with spaces, has at most this many characters. */
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;

const IP_EXAMPLE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/**
 * `spec.dnsPolicy` (empty is left to defaulting) and `spec.dnsConfig` under `path` ("spec" or
 * "spec.template.spec"): policy None needs a dnsConfig with at least one nameserver; at most 3
 * nameservers, each an IP address; at most 32 search domains of 2048 characters in all, each a
 * DNS subdomain (a trailing dot allowed) or "."; every option has a name.
 */
export function validatePodDns(errs: Errors, spec: PodSpec, path: string): void {
  checkEnum(errs, `${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES);
  const config = spec.dnsConfig;
  const field = `${path}.dnsConfig`;
  if (spec.dnsPolicy === 'None') {
    if (!config) {
      errs.push(required(field, 'must provide `dnsConfig` when `dnsPolicy` is None'));
      return;
    }
    if (!(config.nameservers ?? []).length) {
      errs.push(required(`${field}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
      return;
    }
  }
  if (config) validateDnsConfig(errs, config, field);
}

function validateDnsConfig(errs: Errors, config: PodDNSConfig, field: string): void {
  const nameservers = config.nameservers ?? [];
  if (nameservers.length > MAX_DNS_NAMESERVERS) errs.push(invalid(`${field}.nameservers`, nameservers, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`));
  nameservers.forEach((ns, i) => {
    if (!isIP(ns)) errs.push(invalid(`${field}.nameservers[${i}]`, ns, IP_EXAMPLE));
  });
  const searches = config.searches ?? [];
  if (searches.length > MAX_DNS_SEARCH_PATHS) errs.push(invalid(`${field}.searches`, searches, `must not have more than ${MAX_DNS_SEARCH_PATHS} search paths`));
  if (searches.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS)
    errs.push(invalid(`${field}.searches`, searches, `must not have more than ${MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list`));
  searches.forEach((search, i) => {
    if (search === '.') return;
    const domain = search.endsWith('.') ? search.slice(0, -1) : search;
    invalidEach(errs, `${field}.searches[${i}]`, domain, checkDns1123SubdomainWithUnderscore(domain));
  });
  (config.options ?? []).forEach((option, i) => {
    if (!option.name) errs.push(required(`${field}.options[${i}]`, 'must not be empty'));
  });
}
