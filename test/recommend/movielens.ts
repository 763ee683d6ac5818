import { readInteractionsTsv } from '../../src/recommend/index.ts';

// MovieLens-100K splits made with the Microsoft Recommenders splitters, read from ../shared: the licence forbids
// copying them into this repository.
export const SPLITS = new URL('../../../shared/datasets/movielens-100k/splits/', import.meta.url).pathname;

export const load = (split: string) => ({ train: readInteractionsTsv(`${SPLITS}${split}.train.tsv`), test: readInteractionsTsv(`${SPLITS}${split}.test.tsv`) });
