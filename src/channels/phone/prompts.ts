/**
 * What the IVR says, in Polish and English. Pure: every text is a function of plain data, so
 * the call flow stays free of wording and the wording can be reviewed in one place.
 *
 * Numbers a caller must write down (request numbers, serials, contract numbers) are read
 * character by character with a pause between groups: a text-to-speech voice reads "2026" as
 * "two thousand twenty-six", which nobody can type back on a keypad.
 */
export type CallLanguage = 'pl' | 'en';

/** `HZ-2026-000123` → `H Z, 2 0 2 6, 0 0 0 1 2 3`: one character at a time, groups by pauses. */
export function spellOut(text: string): string {
  return text
    .split(/[-\s./]+/)
    .filter((group) => group !== '')
    .map((group) => group.toUpperCase().split('').join(' '))
    .join(', ');
}

/** Ends `text` with one full stop: a customer's name often ends in one already ("sp. z o.o."). */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The texts of one language. */
export interface Prompts {
  greeting(line: 'hotline' | 'escalation'): string;
  englishOption: string;
  welcomeBack(name: string): string;
  offerContract(number: string, customer: string): string;
  askContract: string;
  contractNotFound(digits: string): string;
  readBackContract(number: string, customer: string): string;
  /** A typed contract number read back to a caller who is not its representative: the digits only. */
  readBackContractDigits(digits: string): string;
  contractExpired(validTo: string): string;
  contractNotYetValid(validFrom: string): string;
  confirmOnlyDevice(model: string, serial: string): string;
  askSerial: string;
  serialNotFound(heard: string): string;
  serialAmbiguous(count: number): string;
  readBackSerial(model: string, serial: string): string;
  /** What a caller who is not the contract's representative typed or said, read back as heard. */
  readBackSerialHeard(heard: string): string;
  askEscalationNumber: string;
  escalationNumberMalformed: string;
  escalationNumberUnknown(number: string): string;
  readBackEscalationNumber(number: string): string;
  pressOneOrTwo: string;
  noInput: string;
  askForRecording: string;
  requestNumber(number: string): string;
  deadline(words: string): string;
  clockStarts(words: string): string;
  expiredFollowUp: string;
  /** For a caller who is not a representative of the contract: nothing about the contract itself. */
  checkingFollowUp: string;
  needsInfoFollowUp: string;
  recordingReceived: string;
  escalationFiled(number: string, attached: boolean): string;
  managerAlerted: string;
  smsFollows: string;
  registering(sms: boolean): string;
  goodbye: string;
  apology: string;
}

const POLISH: Prompts = {
  greeting: (line) =>
    line === 'hotline'
      ? 'Dzień dobry, tu serwis myHEZO. Zgłoszenie awarii przyjmiemy bez czekania na konsultanta.'
      : 'Dzień dobry, tu linia eskalacji serwisu myHEZO.',
  englishOption: 'For English, press 9.',
  welcomeBack: (name) => `Witamy, ${name}.`,
  offerContract: (number, customer) =>
    `Czy zgłoszenie dotyczy umowy ${spellOut(number)}, ${customer}? Naciśnij 1, aby potwierdzić, lub 2, aby podać inny numer umowy.`,
  askContract: 'Wpisz na klawiaturze cyfry numeru umowy serwisowej, bez liter, i zakończ krzyżykiem.',
  contractNotFound: (digits) => `Nie znaleźliśmy umowy o numerze ${spellOut(digits)}.`,
  readBackContract: (number, customer) => sentence(`Umowa ${spellOut(number)}, ${customer}`),
  readBackContractDigits: (digits) => `Wpisany numer umowy: ${spellOut(digits)}.`,
  contractExpired: (validTo) =>
    `Ta umowa wygasła ${validTo}. Zgłoszenie przekażemy pracownikowi serwisu. Przedłużenie umowy po terminie może wiązać się z opłatą reaktywacyjną.`,
  contractNotYetValid: (validFrom) => `Ta umowa obowiązuje dopiero od ${validFrom}. Zgłoszenie przekażemy pracownikowi serwisu.`,
  confirmOnlyDevice: (model, serial) =>
    `Umowa obejmuje urządzenie ${model} o numerze seryjnym ${spellOut(serial)}. Naciśnij 1, aby potwierdzić, lub 2, aby podać numer seryjny.`,
  askSerial: 'Wpisz ostatnie cyfry numeru seryjnego uszkodzonego urządzenia i zakończ krzyżykiem, albo powiedz numer seryjny.',
  serialNotFound: (heard) => `Żadne urządzenie tej umowy nie ma numeru seryjnego kończącego się na ${spellOut(heard)}.`,
  serialAmbiguous: (count) => `Ten fragment pasuje do ${count} urządzeń. Podaj więcej cyfr.`,
  readBackSerial: (model, serial) =>
    `Urządzenie ${model}, numer seryjny ${spellOut(serial)}. Naciśnij 1, aby potwierdzić, lub 2, aby podać go ponownie.`,
  readBackSerialHeard: (heard) => `Numer seryjny kończący się na ${spellOut(heard)}. Naciśnij 1, aby potwierdzić, lub 2, aby podać go ponownie.`,
  askEscalationNumber:
    'Wpisz cyfry numeru zgłoszenia, na przykład 2 0 2 6 0 0 0 1 2 3, i zakończ krzyżykiem. Jeśli nie masz numeru zgłoszenia, wpisz 0 i krzyżyk.',
  escalationNumberMalformed: 'Numer zgłoszenia ma 10 cyfr: rok i sześć cyfr numeru.',
  escalationNumberUnknown: (number) => `Nie znaleźliśmy zgłoszenia ${spellOut(number)}.`,
  readBackEscalationNumber: (number) =>
    `Zgłoszenie ${spellOut(number)}. Naciśnij 1, aby potwierdzić, lub 2, aby wpisać numer ponownie.`,
  pressOneOrTwo: 'Naciśnij 1 albo 2.',
  noInput: 'Nie usłyszeliśmy odpowiedzi.',
  askForRecording:
    'Nie udało się przyjąć danych. Po sygnale nagraj wiadomość: nazwę firmy, numer umowy, numer seryjny urządzenia i opis awarii. Oddzwonimy. Zakończ krzyżykiem.',
  requestNumber: (number) => `Numer Twojego zgłoszenia: ${spellOut(number)}. Powtarzam: ${spellOut(number)}.`,
  deadline: (words) => `Inżynier HEZO skontaktuje się z Tobą ${words}.`,
  clockStarts: (words) => `Zgłoszenie wpłynęło poza godzinami serwisu, dlatego czas reakcji zacznie biec ${words}.`,
  expiredFollowUp: 'Pracownik serwisu skontaktuje się z Tobą w sprawie przedłużenia umowy.',
  needsInfoFollowUp: 'Oddzwonimy, aby uzupełnić brakujące dane.',
  checkingFollowUp: 'Sprawdzamy Twoją umowę i urządzenie. Inżynier HEZO oddzwoni po sprawdzeniu.',
  recordingReceived: 'Dziękujemy, wiadomość została nagrana.',
  escalationFiled: (number, attached) =>
    attached ? `Eskalacja zgłoszenia ${spellOut(number)} została przyjęta.` : `Eskalacja została zarejestrowana pod numerem ${spellOut(number)}.`,
  managerAlerted: 'Kierownik eskalacji został powiadomiony.',
  smsFollows: 'Potwierdzenie wyślemy SMS-em.',
  registering: (sms) =>
    `Twoje zgłoszenie jest rejestrowane. ${sms ? 'Jego numer wyślemy SMS-em.' : 'Oddzwonimy z jego numerem.'}`,
  goodbye: 'Dziękujemy, do widzenia.',
  apology: 'Przepraszamy, wystąpił problem techniczny. Po sygnale nagraj wiadomość z numerem umowy i opisem awarii, oddzwonimy.',
};

const ENGLISH: Prompts = {
  greeting: (line) =>
    line === 'hotline'
      ? 'Hello, this is myHEZO service. We take your failure report without waiting for an agent.'
      : 'Hello, this is the myHEZO escalation line.',
  englishOption: 'For English, press 9.',
  welcomeBack: (name) => `Welcome, ${name}.`,
  offerContract: (number, customer) =>
    `Is this about contract ${spellOut(number)}, ${customer}? Press 1 to confirm, or 2 to enter another contract number.`,
  askContract: 'Enter the digits of your service contract number, without letters, followed by the hash key.',
  contractNotFound: (digits) => `We found no contract numbered ${spellOut(digits)}.`,
  readBackContract: (number, customer) => sentence(`Contract ${spellOut(number)}, ${customer}`),
  readBackContractDigits: (digits) => `You entered contract number ${spellOut(digits)}.`,
  contractExpired: (validTo) =>
    `This contract expired on ${validTo}. We will pass your report to our service staff. Renewal after the deadline may carry a reactivation fee.`,
  contractNotYetValid: (validFrom) => `This contract is valid only from ${validFrom}. We will pass your report to our service staff.`,
  confirmOnlyDevice: (model, serial) =>
    `The contract covers a ${model} with serial number ${spellOut(serial)}. Press 1 to confirm, or 2 to enter a serial number.`,
  askSerial: 'Enter the last digits of the failed device serial number followed by the hash key, or say the serial number.',
  serialNotFound: (heard) => `No device on this contract has a serial number ending in ${spellOut(heard)}.`,
  serialAmbiguous: (count) => `That matches ${count} devices. Please give more digits.`,
  readBackSerial: (model, serial) => `${model}, serial number ${spellOut(serial)}. Press 1 to confirm, or 2 to enter it again.`,
  readBackSerialHeard: (heard) => `Serial number ending in ${spellOut(heard)}. Press 1 to confirm, or 2 to enter it again.`,
  askEscalationNumber:
    'Enter the digits of your request number, for example 2 0 2 6 0 0 0 1 2 3, followed by the hash key. If you have no request number, press 0 and the hash key.',
  escalationNumberMalformed: 'A request number has 10 digits: the year and six digits.',
  escalationNumberUnknown: (number) => `We found no request ${spellOut(number)}.`,
  readBackEscalationNumber: (number) => `Request ${spellOut(number)}. Press 1 to confirm, or 2 to enter it again.`,
  pressOneOrTwo: 'Please press 1 or 2.',
  noInput: 'We did not hear an answer.',
  askForRecording:
    'We could not take your details. After the tone, please leave a message with your company name, contract number, device serial number and the failure. We will call you back. Press the hash key when done.',
  requestNumber: (number) => `Your request number is ${spellOut(number)}. Again: ${spellOut(number)}.`,
  deadline: (words) => `A HEZO engineer will contact you ${words}, Polish time.`,
  clockStarts: (words) => `Your request arrived outside service hours, so the response time starts ${words}.`,
  expiredFollowUp: 'Our service staff will contact you about renewing the contract.',
  needsInfoFollowUp: 'We will call you back to complete the missing details.',
  checkingFollowUp: 'We are checking your contract and device. A HEZO engineer will call you back once it is checked.',
  recordingReceived: 'Thank you, your message has been recorded.',
  escalationFiled: (number, attached) =>
    attached ? `The escalation of request ${spellOut(number)} has been received.` : `Your escalation has been registered as ${spellOut(number)}.`,
  managerAlerted: 'The escalation manager has been alerted.',
  smsFollows: 'We will confirm by text message.',
  registering: (sms) => `Your request is being registered. ${sms ? 'We will text you its number.' : 'We will call you back with its number.'}`,
  goodbye: 'Thank you, goodbye.',
  apology: 'We are sorry, a technical problem occurred. After the tone, leave a message with your contract number and the failure, and we will call you back.',
};

/** The texts in a language. */
export function promptsFor(language: CallLanguage): Prompts {
  return language === 'en' ? ENGLISH : POLISH;
}
