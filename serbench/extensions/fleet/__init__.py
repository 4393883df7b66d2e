"""Beyond one machine: a server on another host (`serbench run --connect`), shards of a matrix
(`serbench run --shard i/N`) and the merge of several machines' runs (`serbench merge`)."""
