/**
 * The boundary the privacy work deletes call recordings through (Twilio's in
 * ./twilio-recordings.ts): retention and erasure ask it before they forget a recording's address.
 */

/** What became of a recording: deleted now, gone already, another account's, or no credentials to ask. */
export type RecordingDeletion = 'deleted' | 'already-gone' | 'not-ours' | 'not-configured';

export interface RecordingDeleter {
  /** Deletes the recording at this address; throws when it could not be asked (the caller retries later). */
  delete(url: string): Promise<RecordingDeletion>;
}
