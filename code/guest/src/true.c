/* true: exit successfully; the smallest useful target for exec benchmarks. */
int main(void)
{
	return 0;
}
