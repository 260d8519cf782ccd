pub fn run(_args: &crate::cli::MergeArgs, _term: super::Terminal) -> super::Exit {
    todo!()
}
