// Which campaign each tracking number belongs to, from --campaign <number>=<name> options or a
// CSV file with the columns `number,campaign`.

import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { normalisePhoneNumber } from '../../domain/phone.js';
import { SetupError } from './setup-error.js';

/** E.164 digits → campaign name. */
export type CampaignMap = Map<string, string>;

function addCampaign(campaigns: CampaignMap, written: string, name: string, where: string): void {
  const number = normalisePhoneNumber(written);
  if (number === null) throw new SetupError(`${where}: "${written}" is not a phone number (write it in international form, e.g. +44 7700 900001)`);
  const campaign = name.trim();
  if (campaign === '') throw new SetupError(`${where}: the campaign of ${written} is empty`);
  campaigns.set(number, campaign);
}

/** Reads `--campaign` values (`<number>=<name>`) and a CSV file, the options winning over the file. */
export async function readCampaigns(options: string[], csvPath: string | undefined): Promise<CampaignMap> {
  const campaigns: CampaignMap = new Map();
  if (csvPath !== undefined) {
    let text: string;
    try {
      text = await readFile(csvPath, 'utf8');
    } catch (error) {
      throw new SetupError(`cannot read the campaigns file ${csvPath} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    let rows: Record<string, string>[];
    try {
      rows = parse(text, { columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()), skip_empty_lines: true, trim: true });
    } catch (error) {
      throw new SetupError(`the campaigns file ${csvPath} is not valid CSV: ${(error as Error).message}`);
    }
    rows.forEach((row, i) => {
      if (row.number === undefined || row.campaign === undefined) {
        throw new SetupError(`the campaigns file ${csvPath} needs a header line "number,campaign"`);
      }
      addCampaign(campaigns, row.number, row.campaign, `${csvPath} line ${i + 2}`);
    });
  }
  for (const option of options) {
    const separator = option.indexOf('=');
    if (separator === -1) throw new SetupError(`--campaign ${option}: write it as <number>=<campaign name>`);
    addCampaign(campaigns, option.slice(0, separator), option.slice(separator + 1), `--campaign ${option}`);
  }
  return campaigns;
}
