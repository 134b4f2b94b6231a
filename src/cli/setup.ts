// `npm run setup`: the command line of the setup CLI. It reads .env as the server does, parses the
// options, runs setup, --watch or --check, and turns every failure into one line and exit code 1.

import { Command, InvalidArgumentError, Option } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { ConfigError } from '../config.js';
import { misspellingWarnings } from '../config-warnings.js';
import { consoleLogger } from '../logger.js';
import { loadSetupConfig, parseNgrokApiUrl, type SetupConfig } from '../setup-config.js';
import { readCampaigns } from './setup/campaigns.js';
import { runCheck } from './setup/check.js';
import { runSetup } from './setup/run-setup.js';
import { SetupError } from './setup/setup-error.js';
import { openTrackingNumbers } from './setup/tracking-numbers.js';
import { VonageApi } from './setup/vonage-api.js';
import { watchNgrok } from './setup/watch.js';

const DEFAULT_WATCH_SECONDS = 5;
/** Polling ngrok's local API more often than this gains nothing; the application is only written on a change. */
const MIN_WATCH_SECONDS = 1;

interface CliOptions {
  numbers?: string;
  campaign: string[];
  campaignsFile?: string;
  dryRun?: boolean;
  watch?: boolean;
  interval: number;
  check?: boolean;
  ngrokApi?: string;
  name: string;
  dotenv: string;
}

const print = (line: string) => process.stdout.write(`${line}\n`);

function fail(message: string): never {
  process.stderr.write(`setup: ${message}\n`);
  process.exit(1);
}

function wholeSeconds(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < MIN_WATCH_SECONDS) throw new InvalidArgumentError(`a whole number of seconds, at least ${MIN_WATCH_SECONDS}`);
  return seconds;
}

function parseNumbers(raw: string | undefined): 'all' | string[] | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim().toLowerCase() === 'all') return 'all';
  return raw.split(',').map((number) => number.trim()).filter((number) => number !== '');
}

async function main(options: CliOptions): Promise<void> {
  loadDotenv({ path: options.dotenv, quiet: true });
  // Before anything else: a misspelt VONAGE_APPLICATION_ID would have setup create a new application.
  for (const warning of misspellingWarnings(process.env)) process.stderr.write(`setup: warning: ${warning}\n`);
  let config: Readonly<SetupConfig>;
  try {
    config = loadSetupConfig(process.env);
    if (options.ngrokApi !== undefined) config = Object.freeze({ ...config, ngrokApiUrl: parseNgrokApiUrl(options.ngrokApi) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`setup: ${problem}\n`);
    process.exit(1);
  }
  const api = new VonageApi(config);

  if (options.check) {
    const { problems, linkedNumbers, publicAddress } = await runCheck({
      config, api, openTrackingNumbers: () => openTrackingNumbers(config.database, consoleLogger, true),
    });
    if (problems.length === 0) {
      print(`all good: ${linkedNumbers} ${linkedNumbers === 1 ? 'number reaches' : 'numbers reach'} this server at ${publicAddress}${config.signatureSecret !== null ? ', signed' : ''}`);
      return;
    }
    for (const problem of problems) print(problem);
    process.exit(1);
  }

  if (options.watch && (options.dryRun || config.publicUrl !== null)) {
    fail(options.dryRun ? '--watch and --dry-run do not go together' : '--watch follows ngrok\'s address: unset PUBLIC_URL to use it');
  }
  const result = await runSetup(
    { config, api, print, openTrackingNumbers: () => openTrackingNumbers(config.database, consoleLogger, false) },
    {
      numbers: parseNumbers(options.numbers),
      campaigns: await readCampaigns(options.campaign, options.campaignsFile),
      dryRun: options.dryRun ?? false,
      applicationName: options.name,
      envFile: options.dotenv,
    },
  );
  if (options.watch && result.applicationId !== null) {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await watchNgrok(config, api, {
      applicationId: result.applicationId, publicAddress: result.publicAddress, intervalMs: options.interval * 1000, signal: stop.signal,
    }, print);
  }
}

const program = new Command('setup')
  .description('Points a Vonage application at this server, links numbers to it and registers them as tracking numbers.')
  .option('--numbers <numbers>', 'the numbers to link and track: "all", or a comma-separated list (+44 7700 900001,447700900002)')
  .addOption(new Option('--campaign <number=name>', 'a tracking number\'s campaign (repeatable); the number is linked too')
    .argParser((value: string, previous: string[]) => [...previous, value]).default([]))
  .option('--campaigns-file <csv>', 'campaigns from a CSV file with the header "number,campaign"')
  .option('--dry-run', 'print what would change, and change nothing')
  .option('--watch', 'keep the application pointed at ngrok\'s address as it changes (Ctrl-C or SIGTERM stops)')
  .addOption(new Option('--interval <seconds>', 'how often --watch asks ngrok for its address').argParser(wholeSeconds).default(DEFAULT_WATCH_SECONDS))
  .option('--check', 'say what keeps calls from reaching this server, one line each; change nothing')
  .option('--ngrok-api <url>', 'the ngrok agent\'s local API (default NGROK_API_URL, else http://127.0.0.1:4040/api/tunnels)')
  .option('--name <name>', 'name of the application created when VONAGE_APPLICATION_ID is unset', 'call-tracker')
  // Not --env-file: Node takes an argument of that name as its own wherever it stands, and exits
  // when the file does not exist yet.
  .option('--dotenv <path>', 'the .env file read, and written with VONAGE_APPLICATION_ID', '.env')
  .showHelpAfterError()
  .action(async (options: CliOptions) => {
    try {
      await main(options);
    } catch (error) {
      if (error instanceof SetupError || error instanceof ConfigError) fail(error.message);
      throw error;
    }
  });

await program.parseAsync();
