/**
 * Refuses a start that would take forged Twilio webhooks (issue 20): with signature checking
 * on, the signature is an HMAC keyed by `twilio.authToken`, and an empty key is one anybody can
 * sign with. Such a gateway does not start (exit 78, the setting named) unless nothing outside
 * this machine can reach it — it listens on a loopback address and its public URL is local —
 * which is the embedded default of a first try, where `hezo-intake call` signs with the same
 * empty key.
 */
import { IntakeError } from './errors.js';
import type { Settings } from './settings.js';

/** The SETTINGS_INVALID error for a forgeable webhook check, or null when the settings are safe. */
export function forgeableSignatureProblem(settings: Pick<Settings, 'twilio' | 'phone' | 'http'>, sourceOf: (fieldPath: string) => string): IntakeError | null {
  if (!settings.phone.validateSignature || settings.twilio.authToken !== '') return null;
  if (isLoopbackHost(settings.http.host) && isLoopbackHost(publicHost(settings.http.publicUrl))) return null;
  return new IntakeError('SETTINGS_INVALID', 'The settings are invalid; the gateway did not start. Fix:', {
    details: [
      {
        path: 'twilio.authToken',
        file: sourceOf('twilio.authToken'),
        message:
          'is empty while phone.validateSignature is on and the gateway can be reached from outside (http.host, http.publicUrl): anyone could sign Twilio webhooks. Set TWILIO_AUTH_TOKEN to the auth token of the Twilio account (any long random string if this gateway takes no calls).',
      },
    ],
  });
}

function publicHost(publicUrl: string): string {
  try {
    return new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return publicUrl;
  }
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
