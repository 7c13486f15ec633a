// docker-style random names ("eager_turing") and ids.
import { randomBytes } from 'node:crypto';

const LEFT = ['admiring', 'adoring', 'agitated', 'amazing', 'angry', 'awesome', 'blissful', 'bold', 'boring', 'brave', 'busy', 'charming', 'clever', 'cool', 'compassionate', 'competent', 'confident', 'crazy', 'dazzling', 'determined', 'distracted', 'dreamy', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'gallant', 'gifted', 'goofy', 'gracious', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical', 'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen'];
const RIGHT = ['agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bell', 'bhabha', 'blackwell', 'bohr', 'booth', 'borg', 'bose', 'brahmagupta', 'brown', 'carson', 'cerf', 'chandrasekhar', 'clarke', 'curie', 'darwin', 'davinci', 'dijkstra', 'easley', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gates', 'goldberg', 'goodall', 'hamilton', 'hawking', 'heisenberg', 'hermann', 'hodgkin', 'hoover', 'hopper', 'hypatia', 'jackson', 'jepsen', 'johnson', 'kalam', 'kapitsa', 'keller', 'kepler', 'khorana', 'kilby', 'knuth', 'lalande', 'lamarr', 'leakey', 'lovelace', 'lumiere', 'mahavira', 'mayer', 'mccarthy', 'mclean', 'meitner', 'mendel', 'merkle', 'mirzakhani', 'morse', 'napier', 'newton', 'nobel', 'noether', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'ptolemy', 'raman', 'ride', 'ritchie', 'rubin', 'sammet', 'shannon', 'shockley', 'sinoussi', 'stonebraker', 'swartz', 'tesla', 'thompson', 'torvalds', 'turing', 'varahamihira', 'villani', 'wescoff', 'williams', 'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath'];

export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function randomName(taken: (n: string) => boolean): string {
  for (let i = 0; ; i++) {
    const r = randomBytes(4);
    let n = `${LEFT[r.readUInt16BE(0) % LEFT.length]}_${RIGHT[r.readUInt16BE(2) % RIGHT.length]}`;
    if (i > 5) n += String(r[0] % 10);
    if (!taken(n)) return n;
  }
}

export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
