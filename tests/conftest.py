import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the text's reference model lives beside the tests
