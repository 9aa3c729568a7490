/**
 * Call recordings live at Twilio; the gateway keeps only their address. Removing personal data
 * of a call therefore means asking Twilio to delete the recording (DELETE
 * /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}) before its address is forgotten:
 * an address dropped first would leave a recording no one can find to delete.
 */
import twilio from 'twilio';
import { twilioClient } from '../notify/sms-sender.js';
import type { Settings } from '../settings.js';
import type { RecordingDeleter, RecordingDeletion } from './recording-deleter.js';


const RECORDING_PATH = /\/Accounts\/(AC[A-Za-z0-9]+)\/Recordings\/(RE[A-Za-z0-9]+)/;

export class TwilioRecordings implements RecordingDeleter {
  private client: twilio.Twilio | undefined;

  constructor(private readonly settings: Readonly<Settings['twilio']>) {}

  async delete(url: string): Promise<RecordingDeletion> {
    const { accountSid, authToken } = this.settings;
    if (!accountSid || !authToken) return 'not-configured';
    const match = RECORDING_PATH.exec(url);
    if (!match || match[1] !== accountSid) return 'not-ours';
    this.client ??= twilioClient(this.settings);
    try {
      await this.client.recordings(match[2] as string).remove();
      return 'deleted';
    } catch (error) {
      if (error instanceof twilio.RestException && error.status === 404) return 'already-gone';
      throw error;
    }
  }
}
