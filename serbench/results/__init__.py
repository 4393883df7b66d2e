"""The results directory: the contract on disk that runs write and readers read."""
